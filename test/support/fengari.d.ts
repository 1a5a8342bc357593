// The slice of fengari (a Lua 5.3 VM in JavaScript, shipped without types) that
// test/support/lua.ts uses.
declare module "fengari" {
  /** A Lua state. */
  export type LuaState = object & { readonly __luaState: unique symbol };
  /** Lua strings are byte arrays. */
  export type LuaString = Uint8Array;

  /** Converts a JavaScript string to Lua bytes (UTF-8). */
  export function to_luastring(text: string): LuaString;
  /** Converts Lua bytes (UTF-8) to a JavaScript string. */
  export function to_jsstring(bytes: LuaString): string;

  /** The core API (lua.h). */
  export const lua: {
    LUA_OK: number;
    LUA_TSTRING: number;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_getfield(L: LuaState, index: number, key: LuaString): number;
    lua_type(L: LuaState, index: number): number;
    lua_tostring(L: LuaState, index: number): LuaString | null;
    lua_istable(L: LuaState, index: number): boolean;
    lua_pop(L: LuaState, n: number): void;
    lua_close(L: LuaState): void;
  };
  /** The auxiliary library (lauxlib.h). */
  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buffer: LuaString, size: number | null, name: LuaString): number;
  };
  /** The standard libraries (lualib.h). */
  export const lualib: {
    luaL_openlibs(L: LuaState): void;
  };
}
