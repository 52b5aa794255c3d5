# hypervisor/module.mk — jeos-hv; nothing built here yet.
