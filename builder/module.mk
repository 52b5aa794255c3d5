# builder/module.mk — the jeos CLI and the pipeline library (libjeos.a), in layers (builder/README.md):
#   core ← recipe ← {debian, images/, boot/} ← output ← {appliance, unikernel, inspect} ← cli
# Every .c of a layer folder is built; adding a file needs no change here.

BUILDER_LAYERS := core recipe debian output appliance unikernel inspect
LIBJEOS_SRCS += $(sort $(foreach l,$(BUILDER_LAYERS),$(wildcard builder/$(l)/*.c)))
JEOS_SRCS += $(sort $(wildcard builder/cli/*.c))

FORMAT_SRCS += $(wildcard builder/*/*.c builder/*/*.h)
