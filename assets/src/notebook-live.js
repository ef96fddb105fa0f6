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
  provider.messageHandlers[CHANGED] = () => {
    const note = document.getElementById("nb-changed");
    if (note) {
      note.hidden = false;
    }
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

  let bound = false;
  provider.on("sync", (synced) => {
    if (!synced || bound) {
      return;
    }
    bound = true;
    form.querySelectorAll("textarea[data-key]").forEach((area) => {
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
      area.hidden = true;
      area.removeAttribute("name");
      const base = form.querySelector('input[name="base:' + CSS.escape(key) + '"]');
      if (base) {
        base.remove();
      }
      area.insertAdjacentElement("afterend", view.dom);
      live.views[key] = view;
    });
    root.classList.add("nb-live");
    if (live.locked) {
      lock();
    }
    show();
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
