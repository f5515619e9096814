// A port for a test server that must come back on the SAME port after a
// restart (a pool's or a standby's URL names it). findFreePort() takes one
// from the kernel's ephemeral range, which every outgoing connection on the
// machine also draws from: while the server is stopped, any client socket of
// any process (the other test worker, another engineer's run) can take it.
// A port below that range is only ever taken by an explicit bind.
import { readFileSync } from "node:fs";
import { isPortFree } from "../../src/embedded/server.ts";

const LOWEST = 20_000;

function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1000 ? low : 32_768;
  } catch {
    return 32_768; // Linux's default; other systems: IANA's dynamic range starts higher still
  }
}

/** A free port outside the ephemeral range, for a server the test stops and starts again. */
export async function restartablePort(): Promise<number> {
  const high = ephemeralRangeStart();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${high}`);
}
