// Chat: send without a reload and show the answer token by token as the server streams it
// (Server-Sent Events). Without this file the same forms post and the page comes back
// with the whole answer.
(() => {
  const csrf = () => document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
  const log = document.querySelector("[data-chat-log]");
  const composer = document.querySelector("[data-chat-form]");
  if (!log || !composer) return;
  const box = composer.querySelector("[data-chat-text]");
  const send = composer.querySelector("[data-chat-send]");
  const stop = composer.querySelector("[data-chat-stop]");
  const errorLine = composer.querySelector("[data-chat-error]");
  const count = composer.querySelector("[data-chat-count]");
  const sendLabel = composer.querySelector("[data-chat-send-label]");
  const limit = Number(box.dataset.chatLimit) || Infinity;
  // A touch screen has no Shift key to hold: there Enter makes a new line and Send sends.
  const touch = matchMedia("(pointer: coarse)").matches;
  box.placeholder = touch ? "Ask anything." : "Ask anything. Enter sends, Shift+Enter for a new line.";
  let running = null;

  const showError = (html) => { errorLine.innerHTML = html; errorLine.hidden = !html; };
  const number = (n) => n.toLocaleString("en-US");
  const tooLong = (n) => `That is ${number(n)} characters; a question can be at most ${number(limit)}.`;
  // While an answer streams nothing else may start: Send shows it is busy, and Regenerate,
  // Edit and the model picker wait.
  const busy = (on) => {
    stop.hidden = !on;
    sendLabel.textContent = on ? "Answering…" : "Send";
    send.classList.toggle("busy", on);
    send.setAttribute("aria-busy", on ? "true" : "false");
    document.querySelectorAll(
      "[data-chat-action] button, [data-chat-action] textarea, [data-chat-alias], [data-chat-versions] button",
    )
      .forEach((el) => { el.disabled = on; });
    counted();
  };
  // The length, shown from 80% of the limit on; over it Send waits and says why.
  const counted = () => {
    const n = box.value.length;
    count.hidden = n < 0.8 * limit;
    count.textContent = n > limit ? tooLong(n) : `${number(n)} of ${number(limit)} characters`;
    count.classList.toggle("bad", n > limit);
    send.disabled = Boolean(running) || send.classList.contains("busy") || n > limit;
  };
  box.addEventListener("input", counted);
  counted();

  const article = (role, html) => {
    log.querySelector("[data-chat-empty]")?.remove();
    const el = document.createElement("article");
    el.className = `msg msg-${role}`;
    el.innerHTML = `<header class="msg-who">${role === "user" ? "You" : "Assistant"}</header><div class="msg-body"></div>`;
    el.querySelector(".msg-body").innerHTML = html || "";
    log.append(el);
    return el;
  };

  // A page part the server drew (a question with its Edit and versions), as an element.
  const fromHTML = (html) => {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  };

  const addCopyButtons = (root) => {
    root.querySelectorAll(".highlight pre, .msg-assistant .msg-body").forEach((target) => {
      if (target.dataset.copyReady) return;
      target.dataset.copyReady = "1";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button secondary";
      button.textContent = target.matches("pre") ? "Copy code" : "Copy answer";
      button.addEventListener("click", () => {
        navigator.clipboard?.writeText(target.innerText).then(() => { button.textContent = "Copied"; });
      });
      (target.matches("pre") ? target.parentElement : target.parentElement).append(button);
    });
  };
  addCopyButtons(document);

  // What went wrong, in words, when the portal's answer is not the JSON it sends for its own errors.
  const failure = (status) => {
    if (status === 400 || status === 413) {
      return `That was more than the portal takes at once; a question can be at most ${number(limit)} characters.`;
    }
    if (status === 403) return "You were signed out, or this page is old: reload the page and try again.";
    if (status >= 500) return `The portal had a problem (error ${status}). Try again in a moment.`;
    return `The portal answered ${status}.`;
  };

  async function post(form, body) {
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
    } catch {
      throw new Error("The portal did not answer. Is it running?");
    }
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    if (response.ok && data && !data.error) return data;
    throw new Error(data?.error || failure(response.status));
  }

  // Regenerate (Try again after a cut) under the answer that just came in, without a reload.
  const after = document.querySelector("[data-chat-after]");
  const again = (data, state) => {
    const form = after?.querySelector("[data-chat-regenerate]");
    if (!form || !data.regenerate) return;
    form.action = data.regenerate;
    form.querySelector("button").textContent = state === "cut" ? "Try again" : "Regenerate";
    after.hidden = false;
  };

  function stream(data, undo) {
    const answer = article("assistant", "");
    if (data.answer_versions) answer.querySelector(".msg-who").append(fromHTML(data.answer_versions));
    const body = answer.querySelector(".msg-body");
    const live = document.createElement("div");
    live.className = "streaming";
    body.append(live);
    answer.classList.add("msg-streaming");
    const source = new EventSource(data.stream);
    running = { source, data, answer, live };
    busy(true);
    let finished = false;
    const finish = () => { finished = true; source.close(); running = null; busy(false); box.focus(); };
    source.addEventListener("token", (event) => {
      live.textContent += JSON.parse(event.data).text;
    });
    source.addEventListener("notice", (event) => {
      const note = document.createElement("p");
      note.className = "msg-notice";
      note.textContent = JSON.parse(event.data).text;
      answer.insertBefore(note, body);
    });
    source.addEventListener("done", (event) => {
      const done = JSON.parse(event.data);
      if (done.html) body.innerHTML = done.html;
      answer.classList.remove("msg-streaming");
      if (done.state === "cut" || done.state === "stopped") {
        answer.classList.add(`msg-${done.state}`);
        const state = document.createElement("p");
        state.className = "msg-state";
        state.textContent = done.state === "cut"
          ? "The answer was cut off: the model stopped answering. Use Try again."
          : "Stopped: this is what had arrived.";
        answer.append(state);
      }
      addCopyButtons(answer);
      again(data, done.state);
      finish();
    });
    source.addEventListener("error", (event) => {
      if (finished) return;
      if (event.data) { // the server's words: the answer failed before it began
        const failed = JSON.parse(event.data);
        answer.remove();
        undo(failed); // the page as it was before the question, the question kept to try again
        const link = failed.status >= 500 ? ' <a href="/status/">See the status board</a>.' : "";
        showError(`${failed.text.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c])}${link}`);
      } else {
        answer.classList.remove("msg-streaming");
        const state = document.createElement("p");
        state.className = "msg-state";
        state.textContent = "The connection was lost. Reload the page to see what was kept.";
        answer.append(state);
      }
      finish();
    });
  }

  // Ask: a new question from the box, or (from a message's forms) an edited question or a new
  // answer. `edited` is the question being changed and `removed` what followed it on the page:
  // the server keeps both as an earlier version, and they come back if the new try fails.
  async function ask(form, { question, edited = null, removed = [] } = {}) {
    showError("");
    const body = new FormData(form); // before busy(): a disabled box is left out of a form's data
    busy(true);
    const putBack = () => removed.forEach((el) => log.append(el));
    try {
      const data = await post(form, body);
      let questionEl = null;
      if (question !== undefined) {
        box.value = "";
        questionEl = data.question_article ? fromHTML(data.question_article) : article("user", data.question_html);
        log.querySelector("[data-chat-empty]")?.remove();
        log.append(questionEl);
      } else if (edited && data.question_article) {
        questionEl = fromHTML(data.question_article);
        edited.replaceWith(questionEl);
      }
      const before = { action: composer.action, path: location.pathname };
      if (data.url && composer.action.endsWith("/chat/send/")) composer.action = `${data.url}send/`;
      if (data.url && location.pathname !== data.url && !document.querySelector("[data-chat-dashboard]")) {
        history.replaceState(null, "", data.url); // a reload now shows this conversation
      }
      const undo = (failed) => {
        if (question !== undefined) {
          questionEl?.remove();
          box.value = failed.question || question || box.value;
        } else if (edited) {
          questionEl?.replaceWith(edited);
          const again = edited.querySelector("textarea");
          if (again) again.value = failed.question || again.value;
          edited.querySelector("details")?.setAttribute("open", "");
        }
        putBack();
        if (!log.querySelector("article.msg")) { // a new chat whose first question failed is not kept
          composer.action = before.action;
          history.replaceState(null, "", before.path);
        }
      };
      stream(data, undo);
    } catch (error) {
      putBack();
      busy(false);
      showError(error.message);
    }
  }

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    if (running || !box.value.trim()) return;
    if (box.value.length > limit) { showError(tooLong(box.value.length)); return; }
    ask(composer, { question: box.value });
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touch) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  stop.addEventListener("click", () => {
    if (!running) return;
    const { source, data, answer, live } = running;
    source.close();
    fetch(data.stop, { method: "POST", headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" });
    answer.classList.remove("msg-streaming");
    answer.classList.add("msg-stopped");
    const state = document.createElement("p");
    state.className = "msg-state";
    state.textContent = "Stopped: this is what had arrived.";
    answer.append(state);
    live.dataset.stopped = "1";
    again(data, "stopped");
    running = null;
    busy(false);
  });
  // Regenerate, and each question's Edit (forms the page may add later, hence one listener).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-chat-action]")) return;
    event.preventDefault();
    if (running) return;
    const articles = [...log.querySelectorAll("article.msg")];
    if (form.matches("[data-chat-edit]")) {
      const edited = form.closest("article");
      const removed = articles.slice(articles.indexOf(edited) + 1);
      removed.forEach((el) => el.remove());
      form.closest("details")?.removeAttribute("open");
      ask(form, { edited, removed });
    } else {
      const last = articles.pop();
      const removed = last?.classList.contains("msg-assistant") ? [last] : [];
      removed.forEach((el) => el.remove());
      ask(form, { removed });
    }
  });
})();
