// The page shell shared by every dashboard page: navigation, sign-out form,
// one-time flash message. Plain HTML forms only: the page runs no script.
import { html, type Interpolation, type SafeHtml } from "./html.ts";
import type { DashboardSession } from "./sessions.ts";

export const DASHBOARD_PREFIX = "/dashboard";
export const STYLESHEET_PATH = `${DASHBOARD_PREFIX}/assets/dashboard.css`;

/** The pages in navigation order; each path is under /dashboard. */
export const DASHBOARD_PAGES = [
  { path: "", title: "Overview" },
  { path: "/activity", title: "Activity" },
  { path: "/queries", title: "Slow queries" },
  { path: "/indexes", title: "Indexes" },
  { path: "/space", title: "Space" },
  { path: "/verify", title: "Verify report" },
] as const;

export type DashboardPagePath = (typeof DASHBOARD_PAGES)[number]["path"];

function head(title: string): SafeHtml {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · bollalabz-db</title><link rel="stylesheet" href="${STYLESHEET_PATH}"><link rel="icon" href="${DASHBOARD_PREFIX}/assets/favicon.svg" type="image/svg+xml"></head>`;
}

export interface PageOptions {
  readonly title: string;
  readonly current: DashboardPagePath;
  readonly session: DashboardSession;
  /** Whether sign-in is on (a token is configured): show the sign-out button. */
  readonly signedIn: boolean;
  readonly body: Interpolation;
}

export function page(options: PageOptions): string {
  const { session } = options;
  const flash = session.flash;
  session.flash = undefined;
  const nav = DASHBOARD_PAGES.map(
    (p) => html`<a href="${DASHBOARD_PREFIX + p.path}"${p.path === options.current ? html` aria-current="page"` : ""}>${p.title}</a>`,
  );
  const signOut = options.signedIn
    ? html`<form method="post" action="${DASHBOARD_PREFIX}/logout"><input type="hidden" name="csrf" value="${session.csrfToken}"><button type="submit" id="sign-out">Sign out</button></form>`
    : html`<span class="muted">no token configured (loopback only)</span>`;
  return html`${head(options.title)}<body><header><span class="brand">bollalabz-db</span><nav>${nav}</nav>${signOut}</header><main>${
    flash ? html`<p class="flash ${flash.kind}" role="status">${flash.text}</p>` : ""
  }<h1>${options.title}</h1>${options.body}</main></body></html>`.value;
}

export function loginPage(options: { readonly error?: string; readonly status?: string; readonly csrfToken: string }): string {
  return html`${head("Sign in")}<body><main class="login"><section class="card"><h1>bollalabz-db dashboard</h1>${
    options.error ? html`<p class="flash error" role="alert">${options.error}</p>` : ""
  }${options.status ? html`<p class="flash ok" role="status">${options.status}</p>` : ""}<form method="post" action="${DASHBOARD_PREFIX}/login"><input type="hidden" name="csrf" value="${options.csrfToken}"><label for="token">API token (HEALTH_API_TOKEN)</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus><button type="submit">Sign in</button></form></section></main></body></html>`.value;
}

/** A 4xx/5xx page: what went wrong and where to go, never a stack trace. */
export function errorPage(status: number, title: string, message: string): string {
  return html`${head(title)}<body><main class="login"><section class="card"><h1>${status} ${title}</h1><p>${message}</p><p><a href="${DASHBOARD_PREFIX}">Back to the dashboard</a></p></section></main></body></html>`.value;
}
