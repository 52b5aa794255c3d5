# builder/module.mk — the jeos CLI and the pipeline library (libjeos.a).

LIBJEOS_SRCS += builder/err.c builder/util.c builder/ctx.c builder/recipe.c builder/recipe_yaml.c \
	builder/recipe_value.c
LIBJEOS_SRCS += builder/deb_version.c builder/pkgindex.c builder/solver.c builder/solver_rules.c \
	builder/solver_prefer.c builder/cache.c \
	builder/repo.c builder/repo_transport.c builder/repo_sources.c builder/repo_resolve.c builder/lock.c
LIBJEOS_SRCS += builder/tree.c builder/deb.c builder/trim.c builder/sysconf.c builder/rootfs.c \
                builder/build_appliance.c
JEOS_SRCS += builder/main.c builder/cmd_validate.c builder/cmd_resolve.c builder/cmd_why.c \
	builder/cmd_rootfs.c builder/cmd_run.c

FORMAT_SRCS += $(wildcard builder/*.c builder/*.h)
