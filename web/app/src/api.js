// Talking to the twin's server. A route the server does not have yet answers "not available"
// (NotAvailable), never made-up data. The browser's session cookie goes with every request (all
// same-origin); a 401 means the session ended, and the handler given to whenUnauthorised (the
// login form) is told.
export class NotAvailable extends Error {}

let unauthorised = () => {};

export function whenUnauthorised(handler) {
  unauthorised = handler;
}

function notAvailable(response, body) {
  return response.status === 501 || response.status === 503 ||
    response.status === 405 ||
    (response.status === 404 && (body === "Not Found" || (body && body.detail === "Not Found")));
}

async function answer(response, what) {
  let body = null;
  const text = await response.text();
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  if (notAvailable(response, body)) throw new NotAvailable(what);
  if (response.status === 401) unauthorised();
  if (!response.ok) {
    const detail = body && (body.detail || body.description || body.title);
    throw new Error(`${what}: ${response.status} ${typeof detail === "string" ? detail : JSON.stringify(detail ?? "")}`);
  }
  return body;
}

export async function getJSON(path) {
  return answer(await fetch(path, { headers: { Accept: "application/json" } }), path);
}

export async function postJSON(path, payload) {
  return answer(await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(payload ?? {}),
  }), path);
}
