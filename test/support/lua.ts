import { lauxlib, lua, lualib, to_jsstring, to_luastring } from 'fengari';

/** What an Argo CD health script returns. */
export interface Health {
  readonly status: string;
  readonly message?: string;
}

/**
 * Runs an Argo CD health script on an object as Argo CD does: `obj` is a global table made from the
 * object's JSON, and only Lua's base and table libraries are open (Argo CD's `os` is a reduced
 * one; its string library is closed unless `useOpenLibs` is set). fengari is Lua 5.3, Argo CD's
 * gopher-lua is 5.1: the scripts keep to what both read alike.
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/health/#custom-health-checks
 */
export function runHealthScript(script: string, obj: unknown): Health {
  const L = lauxlib.luaL_newstate();
  lauxlib.luaL_requiref(L, to_luastring('_G'), lualib.luaopen_base, 1);
  lua.lua_pop(L, 1);
  lauxlib.luaL_requiref(L, to_luastring('table'), lualib.luaopen_table, 1);
  lua.lua_pop(L, 1);
  push(L, obj);
  lua.lua_setglobal(L, to_luastring('obj'));
  const loaded = lauxlib.luaL_loadstring(L, to_luastring(script));
  if (loaded !== lua.LUA_OK || lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
    throw new Error(`Lua: ${to_jsstring(lua.lua_tostring(L, -1) ?? to_luastring('no message'))}`);
  }
  const field = (name: string) => {
    lua.lua_getfield(L, -1, to_luastring(name));
    const value = lua.lua_tostring(L, -1);
    lua.lua_pop(L, 1);
    return value === null ? undefined : to_jsstring(value);
  };
  const status = field('status');
  if (status === undefined) throw new Error('the health script returned no status');
  const message = field('message');
  return message === undefined ? { status } : { status, message };
}

/** Pushes a JSON value as Argo CD decodes it: objects and arrays become tables, null is nil. */
function push(L: object, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (typeof value === 'number') lua.lua_pushnumber(L, value);
  else if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_newtable(L);
    value.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    lua.lua_newtable(L);
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      push(L, item);
      lua.lua_setfield(L, -2, to_luastring(key));
    }
  }
}
