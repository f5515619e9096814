// The ground floor every other module builds on: targets, clients, the
// connection-error classifier, identifier quoting. No side effects on import,
// and nothing here starts a server.
export { maskUrl, parseDatabaseUrl, databaseUrlProblems, targetFromUrl, withDatabase, type DatabaseTarget } from "./target.ts";
export { openSql, connect, withSql, INT8_AS_NUMBER, type Sql, type ConnectOptions, type WithSqlOptions } from "./client.ts";
export { classifyConnectionError, isConnectionError, connectionUserError, serverMessage, type ConnectionFault, type ConnectionFaultKind } from "./errors.ts";
export { quoteIdent } from "./quote.ts";
export { inRolledBackTransaction } from "./rolled-back.ts";
