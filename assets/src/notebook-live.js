// The live notebook: every text of the call's notebook becomes a CodeMirror editor
// bound to a Y.Text of one Yjs document per call, kept in sync over a WebSocket
// (y-websocket's protocol, served by agenda/notebook/consumers.py). The server
// stores each update before it acknowledges it; offline typing is merged when the
// socket is back. Colours come from classes, never inline styles (strict CSP).
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import { EditorView, keymap, Decoration, ViewPlugin, WidgetType } from "@codemirror/view";
import { EditorState, Compartment, RangeSet } from "@codemirror/state";
import { defaultKeymap } from "@codemirror/commands";
import * as decoding from "lib0/decoding";

const ACK = 100;
const LOCKED = 101;
const CHANGED = 102;
const PALETTE = 8;

function paletteIndex(seed) {
  let hash = 0;
  for (let i = 0; i < seed.length; i++) {
    hash = (hash * 31 + seed.charCodeAt(i)) | 0;
  }
  return Math.abs(hash) % PALETTE;
}

class CaretWidget extends WidgetType {
  constructor(colour, name) {
    super();
    this.colour = colour;
    this.name = name;
  }
  toDOM() {
    const caret = document.createElement("span");
    caret.className = "nb-caret nb-peer-" + this.colour;
    const label = document.createElement("span");
    label.className = "nb-caret-name";
    label.textContent = this.name;
    caret.appendChild(label);
    return caret;
  }
  eq(other) {
    return other.colour === this.colour && other.name === this.name;
  }
  ignoreEvent() {
    return true;
  }
}

// Others' cursors and selections in their colour; ours published for them.
const remoteSelections = (ytext, awareness) => ViewPlugin.fromClass(
  class {
    constructor(view) {
      this.conf = { ytext, awareness };
      this.decorations = RangeSet.of([]);
      this.listener = ({ added, updated, removed }) => {
        const ids = added.concat(updated, removed);
        if (ids.some((id) => id !== this.conf.awareness.doc.clientID)) {
          view.dispatch({});
        }
      };
      this.conf.awareness.on("change", this.listener);
    }
    destroy() {
      this.conf.awareness.off("change", this.listener);
    }
    update(update) {
      const { ytext, awareness } = this.conf;
      const local = awareness.getLocalState();
      if (local != null) {
        const focused = update.view.hasFocus && document.hasFocus();
        const sel = focused ? update.state.selection.main : null;
        if (sel != null) {
          const anchor = Y.createRelativePositionFromTypeIndex(ytext, sel.anchor);
          const head = Y.createRelativePositionFromTypeIndex(ytext, sel.head);
          const current = local.cursor;
          if (
            current == null ||
            !Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.anchor), anchor) ||
            !Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.head), head)
          ) {
            awareness.setLocalStateField("cursor", { anchor, head });
          }
        }
      }
      const decorations = [];
      awareness.getStates().forEach((state, client) => {
        if (client === awareness.doc.clientID || !state.cursor || !state.user) {
          return;
        }
        const anchor = Y.createAbsolutePositionFromRelativePosition(state.cursor.anchor, ytext.doc);
        const head = Y.createAbsolutePositionFromRelativePosition(state.cursor.head, ytext.doc);
        if (!anchor || !head || anchor.type !== ytext || head.type !== ytext) {
          return;
        }
        const colour = state.user.colour;
        const from = Math.min(anchor.index, head.index);
        const to = Math.max(anchor.index, head.index);
        if (to > from) {
          decorations.push(
            Decoration.mark({ class: "nb-selection nb-peer-" + colour }).range(from, to)
          );
        }
        decorations.push(
          Decoration.widget({
            side: head.index - anchor.index > 0 ? -1 : 1,
            widget: new CaretWidget(colour, state.user.name),
          }).range(head.index)
        );
      });
      this.decorations = Decoration.set(decorations, true);
    }
  },
  { decorations: (plugin) => plugin.decorations }
);

function start() {
  const root = document.getElementById("notebook");
  const form = document.getElementById("notebook-form");
  if (!root || !form || root.getAttribute("data-live") !== "true" || !window.WebSocket) {
    return;
  }
  const status = document.getElementById("nb-live-status");
  const meetingId = root.getAttribute("data-meeting");
  const editable = new Compartment();
  const doc = new Y.Doc();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const provider = new WebsocketProvider(scheme + "//" + location.host + "/ws/notebook", meetingId, doc, {
    disableBc: true,
    maxBackoffTime: 1000,
    // Ask the server for anything missed every few seconds: the stored log is the
    // truth, so a broadcast lost on the way (a server dying) still arrives.
    resyncInterval: 5000,
  });
  const me = root.getAttribute("data-user") || "someone";
  provider.awareness.setLocalStateField("user", { name: me, colour: paletteIndex(me) });

  const live = {
    doc,
    provider,
    views: {},
    sent: 0,
    acked: 0,
    locked: false,
    get saved() {
      return provider.wsconnected && this.acked >= this.sent;
    },
    text(key) {
      return doc.getText(key).toString();
    },
  };
  window.callbookLive = live;

  doc.on("update", (update, origin) => {
    if (origin !== provider) {
      live.sent += 1;
      show();
    }
  });
  provider.on("status", ({ status: state }) => {
    if (state === "connected") {
      // Our answer to the server's sync step 1 is acknowledged like an update.
      live.sent = 1;
      live.acked = 0;
    }
    show();
  });
  provider.messageHandlers[ACK] = () => {
    live.acked += 1;
    show();
  };
  provider.messageHandlers[LOCKED] = () => lock();
  provider.messageHandlers[103] = () => {};
  provider.messageHandlers[CHANGED] = (_encoder, decoder) => {
    let what = [];
    try {
      what = JSON.parse(decoding.readVarString(decoder)).what;
    } catch (error) {
      what = [];
    }
    refresh(Array.isArray(what) ? what : [what]);
  };
  provider.awareness.on("change", show);

  function show() {
    if (!status) {
      return;
    }
    let text;
    if (live.locked) {
      text = "Finalized: the notes are read-only.";
    } else if (!provider.wsconnected) {
      text = "Offline: keep typing, it is sent when the connection is back.";
    } else {
      text = live.saved ? "All changes stored." : "Storing…";
    }
    status.textContent = text + " ";
    const people = document.createElement("span");
    people.className = "nb-presence";
    people.id = "nb-presence";
    provider.awareness.getStates().forEach((state) => {
      if (state.user) {
        const chip = document.createElement("span");
        chip.className = "nb-peer-" + state.user.colour;
        chip.textContent = state.user.name;
        people.appendChild(chip);
      }
    });
    status.appendChild(people);
    root.setAttribute("data-saved", live.saved ? "true" : "false");
  }

  function readOnly() {
    return [EditorView.editable.of(false), EditorState.readOnly.of(true)];
  }

  function lock() {
    if (!live.locked) {
      live.lockedAt = Date.now();
    }
    live.locked = true;
    root.setAttribute("data-locked", "true");
    Object.values(live.views).forEach((view) => {
      view.dispatch({ effects: editable.reconfigure(readOnly()) });
    });
    form.querySelectorAll("input, select, textarea, button").forEach((field) => {
      field.disabled = true;
    });
    show();
  }

  // One CodeMirror editor bound to the Y.Text of a text area's key.
  function bindEditor(area) {
    if (area.value !== area.defaultValue) {
      return; // typed before the live editor was ready: it stays a form field
    }
    const key = area.getAttribute("data-key");
    const ytext = doc.getText(key);
    const label = area.labels && area.labels[0] ? area.labels[0].textContent : key;
    const view = new EditorView({
      state: EditorState.create({
        doc: ytext.toString(),
        extensions: [
          keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
          EditorView.lineWrapping,
          // CodeMirror's own styles go in a <style> element: the page's CSP
          // allows it by this per-response nonce (no inline script anywhere).
          EditorView.cspNonce.of(root.getAttribute("data-style-nonce") || ""),
          EditorView.contentAttributes.of({ "aria-label": label, "data-key": key }),
          editable.of(live.locked ? readOnly() : []),
          yCollab(ytext, null),
          remoteSelections(ytext, provider.awareness),
        ],
      }),
    });
    live.views[key] = view;
    placeEditor(area, view);
  }

  // Put a live editor where its text area is; the area leaves the form.
  function placeEditor(area, view) {
    const key = area.getAttribute("data-key");
    area.hidden = true;
    area.removeAttribute("name");
    const scope = area.closest("section") || form;
    const base = scope.querySelector('input[name="base:' + CSS.escape(key) + '"]');
    if (base) {
      base.remove();
    }
    area.insertAdjacentElement("afterend", view.dom);
  }

  let bound = false;
  provider.on("sync", (synced) => {
    if (!synced || bound) {
      return;
    }
    bound = true;
    form.querySelectorAll("textarea[data-key]").forEach(bindEditor);
    root.classList.add("nb-live");
    if (live.locked) {
      lock();
    }
    show();
  });

  // Structured edits (agenda, action items, who joined, closing) ---------------
  // They are saved by the server's services; every open notebook is told which
  // sections changed and swaps in their fresh HTML, keeping its live editors,
  // the focus and anything typed in a field the change did not touch.
  const pageUrl = location.pathname;
  const pending = new Set();
  let queued = false;
  let queue = Promise.resolve();
  live.refreshes = 0;

  function refresh(names) {
    names.forEach((name) => pending.add(String(name)));
    if (queued) {
      return;
    }
    queued = true;
    // Changes arriving together cost one request; requests never overtake.
    queue = queue
      .then(() => new Promise((resolve) => setTimeout(resolve, 25)))
      .then(fetchSections)
      .catch(() => {
        const note = document.getElementById("nb-changed");
        if (note) {
          note.hidden = false;
        }
      });
  }

  async function fetchSections() {
    queued = false;
    const names = [...pending];
    pending.clear();
    if (!names.length) {
      return;
    }
    const query = names.map((name) => "section=" + encodeURIComponent(name)).join("&");
    const response = await fetch(pageUrl + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) {
      throw new Error("sections: " + response.status);
    }
    const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
    parsed.querySelectorAll("section[id]").forEach((fresh) => {
      swapSection(document.importNode(fresh, true));
    });
    live.refreshes += 1;
    root.setAttribute("data-refreshes", String(live.refreshes));
  }

  function typedValue(field) {
    if (field.tagName === "SELECT") {
      const changed = [...field.options].some((o) => o.selected !== o.defaultSelected);
      return changed ? field.value : null;
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return null;
    }
    return field.value !== field.defaultValue ? field.value : null;
  }

  function swapSection(fresh) {
    const old = document.getElementById(fresh.id);
    if (!old) {
      return;
    }
    const active = document.activeElement;
    let focusedView = null;
    let focusedId = null;
    let range = null;
    if (active && old.contains(active)) {
      focusedView = Object.values(live.views).find((view) => view.dom.contains(active));
      if (!focusedView && active.id) {
        focusedId = active.id;
        if (typeof active.selectionStart === "number") {
          range = [active.selectionStart, active.selectionEnd];
        }
      }
    }
    // What this person typed and has not saved stays in the fresh section.
    const typed = {};
    old.querySelectorAll("input[name], select[name], textarea[name]").forEach((field) => {
      if (field.type !== "hidden") {
        const value = typedValue(field);
        if (value !== null) {
          typed[field.name] = value;
        }
      }
    });
    fresh.querySelectorAll("input[name], select[name], textarea[name]").forEach((field) => {
      if (field.type !== "hidden" && Object.prototype.hasOwnProperty.call(typed, field.name)) {
        field.value = typed[field.name];
      }
    });
    // Live editors of texts still there move over as they are; new texts get one.
    const keys = new Set();
    const unbound = [];
    fresh.querySelectorAll("textarea[data-key]").forEach((area) => {
      const key = area.getAttribute("data-key");
      keys.add(key);
      if (live.views[key]) {
        placeEditor(area, live.views[key]);
      } else if (bound) {
        unbound.push(area);
      }
    });
    old.querySelectorAll("textarea[data-key]").forEach((area) => {
      const key = area.getAttribute("data-key");
      if (!keys.has(key) && live.views[key]) {
        live.views[key].destroy();
        delete live.views[key];
      }
    });
    old.replaceWith(fresh);
    unbound.forEach(bindEditor);
    if (live.locked) {
      lock();
    }
    if (focusedView && focusedView.dom.isConnected) {
      focusedView.focus();
    } else if (focusedId) {
      const field = document.getElementById(focusedId);
      if (field) {
        field.focus();
        if (range && typeof field.setSelectionRange === "function") {
          field.setSelectionRange(range[0], range[1]);
        }
      }
    }
  }

  // Saving a structured change without leaving the page: the same form post the
  // page makes without JavaScript (same checks, same services), sent by fetch.
  const errors = document.getElementById("nb-live-errors");

  function showErrors(lines) {
    if (!errors) {
      return;
    }
    errors.replaceChildren();
    lines.forEach((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      errors.appendChild(item);
    });
    errors.hidden = lines.length === 0;
  }

  async function saveFields(fields) {
    const data = new FormData();
    const token = form.querySelector('input[name="csrfmiddlewaretoken"]');
    data.append("csrfmiddlewaretoken", token ? token.value : "");
    data.append("_save", "1");
    fields.forEach((field) => {
      data.append(field.name, field.value);
      const base = form.querySelector('input[name="base:' + CSS.escape(field.name) + '"]');
      if (base) {
        data.append(base.name, base.value);
      }
    });
    root.setAttribute("data-saving", "true");
    try {
      const response = await fetch(pageUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-Requested-With": "fetch" },
      });
      let result;
      try {
        result = await response.json();
      } catch (error) {
        result = { error: "Not saved (" + response.status + "): reload the page and try again." };
      }
      const lines = [...(result.problems || [])];
      (result.conflicts || []).forEach((conflict) => {
        lines.push(
          conflict.label + ": someone else changed it meanwhile; theirs is shown now, set it again if needed."
        );
      });
      if (result.error) {
        lines.push(result.error);
      }
      showErrors(lines);
      if ((result.saved || []).includes("action:new")) {
        form.querySelectorAll('input[name^="action:new:"]').forEach((field) => {
          field.value = "";
          field.defaultValue = "";
        });
      }
    } catch (error) {
      showErrors(["Not saved: the connection failed; try again."]);
    } finally {
      root.setAttribute("data-saving", "false");
    }
  }

  function changedFields() {
    return [...form.querySelectorAll("input[name], select[name], textarea[name]")].filter(
      (field) =>
        field.type !== "hidden" &&
        field.type !== "checkbox" &&
        field.name !== "attendance_text" &&
        typedValue(field) !== null
    );
  }

  // A status picked applies at once; Save sends the fields changed by hand.
  form.addEventListener("change", (event) => {
    const field = event.target;
    if (!live.locked && field.tagName === "SELECT" && field.name && field.hasAttribute("data-key")) {
      saveFields([field]);
    }
  });
  form.addEventListener("submit", (event) => {
    const submitter = event.submitter;
    if (live.locked || !submitter || submitter.name !== "_save") {
      return; // finalize, who joined: the page's own post
    }
    event.preventDefault();
    saveFields(changedFields());
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
