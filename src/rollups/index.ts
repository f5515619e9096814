export * from "./rollups.ts";
export * from "./schedule.ts";
