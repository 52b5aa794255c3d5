# unikernel/module.mk — the unikernel (freestanding); nothing built here yet.
