export * from "./rollups.ts";
export * from "./schedule.ts";
export * from "./search-tables.ts";
