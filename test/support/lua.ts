// Runs an Argo CD resource health script the way Argo CD does: the object as the global
// `obj` (JSON turned into Lua tables), the chunk's returned table read as {status, message}.
// fengari is Lua 5.3 and Argo CD's gopher-lua is 5.1, so scripts under test stick to the
// common subset.
import fengari, { type LuaState } from "fengari";

const { lua, lauxlib, lualib, to_luastring, to_jsstring } = fengari;

/** What a health script returned. */
export interface HealthResult {
  status: string;
  message: string;
}

/** Runs `script` against `obj` in a fresh Lua state; throws with Lua's message on any Lua error. */
export function runHealthScript(script: string, obj: unknown): HealthResult {
  const L = lauxlib.luaL_newstate();
  try {
    lualib.luaL_openlibs(L);
    run(L, `obj = ${toLuaLiteral(obj)}`, "=obj", 0);
    run(L, script, "=health.lua", 1);
    if (!lua.lua_istable(L, -1)) throw new Error("the health script did not return a table");
    return { status: stringField(L, "status"), message: stringField(L, "message") };
  } finally {
    lua.lua_close(L);
  }
}

function run(L: LuaState, source: string, chunkName: string, results: number): void {
  const code = to_luastring(source);
  if (lauxlib.luaL_loadbuffer(L, code, code.length, to_luastring(chunkName)) !== lua.LUA_OK) {
    throw new Error(`cannot load ${chunkName}: ${errorText(L)}`);
  }
  if (lua.lua_pcall(L, 0, results, 0) !== lua.LUA_OK) throw new Error(`${chunkName} failed: ${errorText(L)}`);
}

function errorText(L: LuaState): string {
  const bytes = lua.lua_tostring(L, -1);
  return bytes ? to_jsstring(bytes) : "(no message)";
}

function stringField(L: LuaState, key: string): string {
  lua.lua_getfield(L, -1, to_luastring(key));
  const text = lua.lua_type(L, -1) === lua.LUA_TSTRING ? to_jsstring(lua.lua_tostring(L, -1)!) : "";
  lua.lua_pop(L, 1);
  return text;
}

/** JSON as a Lua table constructor: objects keyed by string, arrays 1-based, null as nil. */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return luaString(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot represent ${value} in JSON`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(toLuaLiteral).join(", ")}}`;
  if (typeof value === "object") {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}] = ${toLuaLiteral(v)}`);
    return `{${fields.join(", ")}}`;
  }
  throw new Error(`cannot represent a ${typeof value} in JSON`);
}

function luaString(text: string): string {
  // Control characters as decimal escapes: the one escape form Lua 5.1 and 5.3 read alike.
  const escaped = text.replace(/[\\"\u0000-\u001f\u007f]/g, (ch) =>
    ch === "\\" || ch === '"' ? `\\${ch}` : `\\${ch.charCodeAt(0).toString().padStart(3, "0")}`,
  );
  return `"${escaped}"`;
}
