/* Embeds the Lua 5.4 interpreter from Debian's static liblua5.4.a. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

static const char *script =
    "local out = {}\n"
    "local function emit(...) out[#out + 1] = string.format(...) end\n"
    "local function counter(start)\n"
    "  local n = start\n"
    "  return function(step) n = n + (step or 1); return n end\n"
    "end\n"
    "local c1, c2 = counter(10), counter(100)\n"
    "c1(); c1(5); c2(-1)\n"
    "emit('closures: %d %d', c1(0), c2(0))\n"
    "local people = {\n"
    "  {name = 'ada', age = 36}, {name = 'bob', age = 25}, {name = 'cy', age = 36},\n"
    "  {name = 'dee', age = 19}, {name = 'eve', age = 52},\n"
    "}\n"
    "table.sort(people, function(a, b)\n"
    "  if a.age ~= b.age then return a.age > b.age end\n"
    "  return a.name < b.name\n"
    "end)\n"
    "local names = {}\n"
    "for i, p in ipairs(people) do names[i] = p.name .. ':' .. p.age end\n"
    "emit('sorted: %s', table.concat(names, ', '))\n"
    "local ok, err = pcall(function() error({code = 7}) end)\n"
    "emit('pcall table error: %s %d', tostring(ok), err.code)\n"
    "ok, err = pcall(function() error('boom', 0) end)\n"
    "emit('pcall string error: %s %s', tostring(ok), err)\n"
    "ok, err = pcall(function() local t = nil; return t.x end)\n"
    "emit('pcall runtime error: %s %s', tostring(ok), err:match('attempt to index') or err)\n"
    "local s = 'The Quick Brown Fox Jumps'\n"
    "emit('upper=%s lower=%s len=%d', s:upper(), s:lower(), #s)\n"
    "emit('sub=%s rep=%s rev=%s', s:sub(5, 9), ('ab'):rep(3, '-'), ('lua'):reverse())\n"
    "local words = {}\n"
    "for w in s:gmatch('%a+') do words[#words + 1] = w:sub(1, 1) end\n"
    "emit('initials=%s gsub=%s', table.concat(words), (s:gsub('o', '0')))\n"
    "emit('find=%d byte=%d char=%s', s:find('Brown'), s:byte(1), string.char(76, 117, 97))\n"
    "emit('int: %d %d %d %d', 7 // 2, -7 // 2, 7 % -3, 1 << 40)\n"
    "emit('float: %.4f %.4f %g %s', 7 / 2, 2 ^ 0.5, 1e300 * 10, tostring(3.0))\n"
    "emit('math: %d %d %s %s', math.maxinteger, math.mininteger, math.type(1), math.type(1.0))\n"
    "emit('conv: %d %s %s', math.tointeger(8.0), tostring(10 // 3.0), tostring(0x10))\n"
    "local acc = 0\n"
    "for i = 1, 1000 do acc = (acc * 31 + i) % 1000003 end\n"
    "emit('loop acc=%d', acc)\n"
    "local fib = setmetatable({[0] = 0, [1] = 1}, {__index = function(t, n)\n"
    "  local v = t[n - 1] + t[n - 2]; t[n] = v; return v end})\n"
    "emit('fib(80)=%d', fib[80])\n"
    "return table.concat(out, '\\n'), acc % 256\n";

int main(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadstring(L, script) != LUA_OK || lua_pcall(L, 0, 2, 0) != LUA_OK) {
    printf("lua error: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  printf("%s\n", lua_tostring(L, -2));
  int code = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);

  /* Call a Lua function from C with arguments. */
  if (luaL_dostring(L, "function mix(a, b) return a * 1000 + b, string.format('%05.1f', a / b) end") != LUA_OK) {
    printf("lua error: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 2;
  }
  lua_getglobal(L, "mix");
  lua_pushinteger(L, 12);
  lua_pushinteger(L, 7);
  lua_call(L, 2, 2);
  printf("mix: %lld %s\n", (long long)lua_tointeger(L, -2), lua_tostring(L, -1));
  lua_pop(L, 2);
  printf("lua version: %s\n", LUA_RELEASE);
  lua_close(L);
  return code;
}
