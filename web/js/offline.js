/*
 * offline.js — what this device keeps, and forgetting it.
 *
 * The service worker keeps the app and the last answers of the person's
 * own pages (sw.js); here are the acknowledgements made with no signal,
 * waiting in localStorage until the connection returns (then sent, in
 * order, once each: the API records an acknowledgement once however often
 * it is sent). Signing out deletes everything: Cache Storage, localStorage,
 * sessionStorage and IndexedDB (the server's Clear-Site-Data says the same
 * to the browser, for a sign-out made elsewhere in the app's absence).
 */
import { post, ApiError } from './api.js';

const ACKS = 'slate.acks';

export function pendingAcks() {
  try {
    return JSON.parse(localStorage.getItem(ACKS) || '[]');
  } catch {
    return [];
  }
}

function savePending(list) {
  if (list.length) localStorage.setItem(ACKS, JSON.stringify(list));
  else localStorage.removeItem(ACKS);
}

export function isPending(callsheetId) {
  return pendingAcks().some((a) => a.callsheet === callsheetId);
}

export function queueAck(production, callsheet) {
  const list = pendingAcks().filter((a) => a.callsheet !== callsheet);
  list.push({ production, callsheet });
  savePending(list);
}

export function ackPath(production, callsheet) {
  return `/api/v1/productions/${encodeURIComponent(production)}/callsheets/${encodeURIComponent(callsheet)}/ack`;
}

let flushing = null;
/* Sends the waiting acknowledgements; resolves to how many went. */
export function flushAcks() {
  if (flushing) return flushing;
  flushing = (async () => {
    let sent = 0;
    for (const a of pendingAcks()) {
      try {
        await post(ackPath(a.production, a.callsheet));
        sent += 1;
      } catch (err) {
        if (err instanceof ApiError && (err.offline || err.status >= 500 || err.status === 429)) break;
        /* refused for good (the version or membership is gone): not retried */
      }
      savePending(pendingAcks().filter((p) => p.callsheet !== a.callsheet));
    }
    return sent;
  })().finally(() => { flushing = null; });
  return flushing;
}

/*
 * The kept answers of the API (not the app itself): a session that ended
 * leaves nothing readable. Resolves to whether there was anything (so a
 * session had been here).
 */
export async function forgetData() {
  const had = window.caches ? await caches.delete('slate-data') : false;
  localStorage.removeItem(ACKS);
  return had;
}

/* Everything this origin kept in the browser. */
export async function wipe() {
  if (window.caches) {
    for (const k of await caches.keys()) await caches.delete(k);
  }
  localStorage.clear();
  sessionStorage.clear();
  if (window.indexedDB && indexedDB.databases) {
    for (const db of await indexedDB.databases()) if (db.name) indexedDB.deleteDatabase(db.name);
  }
}
