// A single-page app: nothing is rendered on a server (user data lives in the browser's database),
// and no page is prerendered — the fallback index.html boots every route.
export const ssr = false;
export const prerender = false;
