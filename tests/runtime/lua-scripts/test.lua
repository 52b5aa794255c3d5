-- test.lua — run by Debian's lua5.4 interpreter inside the unikernel (tests/runtime/lua.yaml).
local function check(name, ok, why)
  print((ok and 'PASS ' or 'FAIL ') .. name .. ((not ok and why) and (': ' .. why) or ''))
end

local t = {} for i = 1, 100000 do t[i] = i * i end
local s = 0 for _, v in ipairs(t) do s = s + v end
check('rt-lua-table', s == 333338333350000, tostring(s))

local w = {} for word in ('the quick brown fox'):gmatch('%a+') do w[#w + 1] = word:upper() end
check('rt-lua-string', table.concat(w, ',') == 'THE,QUICK,BROWN,FOX')
check('rt-lua-float', string.format('%.3f', math.sqrt(2)) == '1.414')

local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
check('rt-lua-coroutine', co() + co() + co() == 6)
local ok, err = pcall(error, 'boom')
check('rt-lua-pcall', not ok and err == 'boom')
check('rt-lua-os', os.time() > 1700000000 and os.clock() >= 0)
check('rt-lua-env', os.getenv('GREETING') == 'hello from the recipe', tostring(os.getenv('GREETING')))
check('rt-lua-args', arg[0] == '/scripts/test.lua' and arg[1] == 'one' and arg[2] == 'two',
      tostring(arg[0]) .. ' ' .. tostring(arg[1]))

-- modules from the files (package.path), and io on /tmp
package.path = '/scripts/?.lua;' .. package.path
local helper = require('helper')
check('rt-lua-require', helper.double(21) == 42)
local f = assert(io.open('/tmp/out.txt', 'w'))
for i = 1, 100 do f:write(i, '\n') end
f:close()
local sum = 0
for line in io.lines('/tmp/out.txt') do sum = sum + tonumber(line) end
check('rt-lua-io', sum == 5050, tostring(sum))
local data = assert(io.open('/scripts/helper.lua')):read('a')
check('rt-lua-read-files', data:find('function M.double', 1, true) ~= nil)
