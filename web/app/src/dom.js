// Small helpers for the panels' HTML.
import { NotAvailable } from "./api.js";
import { t } from "./i18n.js";

export function escape(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// A failed request as a note: "not available yet" for a route the server lacks, else the error.
export function failureNote(error) {
  const what = error instanceof NotAvailable ? t("not_available") : t("failed");
  return `<p class="na">${what}: ${escape(error.message)}</p>`;
}

export function failureText(error) {
  return `${error instanceof NotAvailable ? t("not_available") : t("failed")}: ${error.message}`;
}
