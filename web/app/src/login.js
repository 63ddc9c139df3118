// Who uses the map: the session (/api/auth/me), the login form (POST /api/auth/login), "Log out",
// and what the user's role lets them do. Buttons of actions the role may not take are not shown
// (the server refuses those actions anyway). The session is the server's HttpOnly cookie: every
// request of the page (fetch, tiles, the event stream) is same-origin and carries it.
import { whenUnauthorised } from "./api.js";
import { currentLanguage, setLanguage, t } from "./i18n.js";

// What a server without accounts lets anyone do (a server older than the login).
const EVERYTHING = ["read", "simulate", "edit_network", "incidents", "planning_edit", "import", "users", "audit"];
const CAN = ["simulate", "incidents", "planning_edit", "import", "users", "audit"];

async function bodyOf(response) {
  const text = await response.text();
  try { return text ? JSON.parse(text) : null; } catch { return text; }
}

// The server's one-line message of a refused request.
function detailOf(body, response) {
  const detail = body && typeof body === "object" ? body.detail : body;
  return typeof detail === "string" && detail ? detail : `${response.status} ${response.statusText}`;
}

// Who the page is: {user} when logged in; {user: null, open: true} on a server without accounts;
// {user: null, anonymous: permissions} when the server lets the public read
// (TWIN_ANONYMOUS_ROLE=viewer: /api/auth/me names the "anonymous" principal); else {user: null}:
// the login form.
export async function whoAmI() {
  const response = await fetch("/api/auth/me", { headers: { Accept: "application/json" } });
  const body = await bodyOf(response);
  if (response.ok && body?.kind === "anonymous") return { user: null, anonymous: body.permissions || ["read"] };
  if (response.ok) return { user: body };
  if (response.status === 404) return { user: null, open: true };
  if (response.status !== 401) throw new Error(`/api/auth/me: ${detailOf(body, response)}`);
  return { user: null };
}

// Show the user's name and role, and what their permissions allow (body classes can-<permission>).
function setUser(app, user, permissions) {
  app.user = user;
  app.permissions = new Set(permissions);
  for (const permission of CAN) document.body.classList.toggle(`can-${permission}`, app.permissions.has(permission));
  document.getElementById("who").classList.toggle("hidden", !user);
  document.getElementById("who").title = user ? `${user.name} (${t(`role_${user.role}`)})` : "";
  document.getElementById("user-name").textContent = user?.name ?? "";
  const role = document.getElementById("user-role");
  role.dataset.i18n = user ? `role_${user.role}` : "";
  role.textContent = user ? t(`role_${user.role}`) : "";
  document.getElementById("logout").classList.toggle("hidden", !user);
}

function showLogin(app, { cancel = false, message = "" } = {}) {
  app.loginShown = true;
  document.body.classList.add("logged-out");
  document.getElementById("login").classList.remove("hidden");
  document.getElementById("login-cancel").classList.toggle("hidden", !cancel);
  const error = document.getElementById("login-error");
  error.textContent = message;
  error.classList.toggle("hidden", !message);
  document.getElementById("login-password").value = "";
  document.getElementById("login-name").focus();
}

function hideLogin(app) {
  app.loginShown = false;
  document.body.classList.remove("logged-out");
  document.getElementById("login").classList.add("hidden");
}

async function logIn(app, startMap) {
  const error = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");
  const name = document.getElementById("login-name").value.trim();
  const password = document.getElementById("login-password").value;
  submit.disabled = true;
  let response;
  let body;
  try {
    response = await fetch("/api/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ name, password }),
    });
    body = await bodyOf(response);
  } catch (failure) {
    response = null;
    body = failure.message;
  } finally {
    submit.disabled = false;
  }
  if (!response?.ok) {
    error.textContent = response ? detailOf(body, response) : `${t("failed")}: ${body}`;
    error.classList.remove("hidden");
    document.getElementById("login-password").select();
    return;
  }
  // A map started before (the public's, or one whose session ended) is opened again, so that
  // everything it shows and offers is the user's.
  if (app.started) {
    location.reload();
    return;
  }
  hideLogin(app);
  setUser(app, body, body.permissions || []);
  app.started = true;
  startMap();
}

async function logOut() {
  try {
    await fetch("/api/auth/logout", { method: "POST" });
  } finally {
    location.reload();
  }
}

function wireLogin(app, startMap) {
  document.getElementById("login-form").onsubmit = (event) => {
    event.preventDefault();
    logIn(app, startMap);
  };
  document.getElementById("login-cancel").onclick = () => hideLogin(app);
  document.getElementById("login").onkeydown = (event) => {
    if (event.key === "Escape" && !document.getElementById("login-cancel").classList.contains("hidden")) hideLogin(app);
  };
  document.getElementById("login-lang").onclick = () => {
    setLanguage(currentLanguage() === "en" ? "vi" : "en");
    const other = currentLanguage() === "en" ? "VI" : "EN";
    document.getElementById("login-lang").textContent = other;
    document.getElementById("lang").textContent = other;
  };
  document.getElementById("logout").onclick = () => logOut();
  document.getElementById("login-open").onclick = () => showLogin(app, { cancel: true });
  // A 401 from any request: the session ended (expired, logged out elsewhere): back to the form.
  const ended = () => {
    if (app.loginShown) return;
    if (app.anonymous) {  // the public asked for something that needs a user
      showLogin(app, { cancel: true });
      return;
    }
    setUser(app, null, []);
    showLogin(app, { message: t("session_ended") });
  };
  whenUnauthorised(ended);
  // The map's tiles are fetched by deck.gl's tile layers (deck-layers.js): their 401 says the same.
  const tileError = app.view.onTileError;
  app.view.onTileError = (layer, error) => (/: 401$/.test(error.message) ? ended() : tileError(layer, error));
}

// Start the map for whoever the page is: at once when logged in (or when the server lets the
// public read, with a "Log in" control), else once the login form has been sent.
export async function startSession(app, startMap) {
  setLanguage(currentLanguage());
  document.getElementById("login-lang").textContent = currentLanguage() === "en" ? "VI" : "EN";
  wireLogin(app, startMap);
  let who;
  try {
    who = await whoAmI();
  } catch (error) {
    app.say(error.message, true);
    return;
  }
  if (who.user) {
    setUser(app, who.user, who.user.permissions || []);
  } else if (who.open) {
    setUser(app, null, EVERYTHING);
  } else if (who.anonymous) {
    app.anonymous = true;
    setUser(app, null, who.anonymous);
    document.getElementById("login-open").classList.remove("hidden");
  } else {
    showLogin(app);
    return;
  }
  app.started = true;
  startMap();
}
