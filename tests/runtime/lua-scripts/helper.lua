-- helper.lua — a module the test script loads with require from the unikernel's files.
local M = {}
function M.double(x) return 2 * x end
return M
