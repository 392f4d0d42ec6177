/** The part of fengari (a Lua 5.3 VM in JavaScript, without type declarations) the tests use. */
declare module 'fengari' {
  type LuaState = object;
  type LuaString = Uint8Array;
  export function to_luastring(text: string): LuaString;
  export function to_jsstring(text: LuaString): string;
  export const lua: {
    LUA_OK: number;
    LUA_TNIL: number;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, value: boolean): void;
    lua_pushnumber(L: LuaState, value: number): void;
    lua_pushstring(L: LuaState, value: LuaString): void;
    lua_newtable(L: LuaState): void;
    lua_rawseti(L: LuaState, index: number, key: number): void;
    lua_setfield(L: LuaState, index: number, key: LuaString): void;
    lua_getfield(L: LuaState, index: number, key: LuaString): number;
    lua_tostring(L: LuaState, index: number): LuaString | null;
    lua_pcall(L: LuaState, nargs: number, nresults: number, handler: number): number;
    lua_pop(L: LuaState, count: number): void;
  };
  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadstring(L: LuaState, chunk: LuaString): number;
    luaL_requiref(L: LuaState, name: LuaString, open: (L: LuaState) => number, global: number): void;
  };
  export const lualib: {
    luaopen_base: (L: LuaState) => number;
    luaopen_table: (L: LuaState) => number;
  };
}
