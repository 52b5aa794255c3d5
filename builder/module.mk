# builder/module.mk — the jeos CLI and the pipeline library (libjeos.a).

LIBJEOS_SRCS += builder/err.c builder/util.c builder/ctx.c builder/recipe.c builder/recipe_yaml.c \
	builder/recipe_value.c
JEOS_SRCS += builder/main.c builder/cmd_validate.c builder/cmd_run.c

FORMAT_SRCS += $(wildcard builder/*.c builder/*.h)
