// The sandbox page: a Discord-like client for the emulated guild. The server sends each member's view
// (server-sent events); every action is a small POST that the server turns into what Discord would send.
"use strict";

const OPTION = { SUB_COMMAND: 1, GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, NUMBER: 10, ATTACHMENT: 11 };
const $ = (id) => document.getElementById(id);
const page = {
  member: null, view: null, events: null, replyTo: null, files: [], command: null,
  rendered: new Map(), shownModal: null, playedIndex: null, speech: [], recorder: null,
};
// For tests and the curious: what the page played, and when each view arrived.
window.sandbox = { heard: [], views: 0 };

// -- talking to the server ----------------------------------------------------------------------------
async function post(path, body) {
  const isForm = body instanceof FormData;
  const response = await fetch(path, {
    method: "POST",
    body: isForm ? body : JSON.stringify(body),
    headers: isForm ? {} : { "Content-Type": "application/json" },
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `the sandbox answered ${response.status}`);
  return answer;
}

function act(promise) {
  promise.catch((error) => toast(error.message));
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 6000);
}

function watch(memberId) {
  if (page.events) page.events.close();
  page.member = memberId;
  page.rendered.clear();
  $("messages").replaceChildren();
  page.playedIndex = null;
  page.events = new EventSource(`/api/events?member=${encodeURIComponent(memberId)}`);
  page.events.onmessage = (event) => render(JSON.parse(event.data));
}

// -- rendering ----------------------------------------------------------------------------------------
function render(view) {
  page.view = view;
  window.sandbox.views += 1;
  $("guild-name").textContent = view.guild.name;
  renderMembers(view);
  renderChannels(view);
  renderMessages(view);
  renderStatus(view);
  openModal(view);
  playSpeech(view);
}

function me(view = page.view) {
  return view.members.find((m) => m.id === page.member);
}

function renderMembers(view) {
  const select = $("member-select");
  const wanted = view.members.map((m) => `${m.id}:${m.name}:${m.admin}`).join("|");
  if (select.dataset.members !== wanted) {
    select.replaceChildren(
      ...view.members.map((m) => new Option(m.admin ? `${m.name} (Manage Server)` : m.name, m.id))
    );
    select.dataset.members = wanted;
  }
  select.value = page.member;
}

function renderChannels(view) {
  const nav = $("channels");
  const parts = [];
  for (const channel of view.channels) {
    const row = element("div", { className: "channel" + (channel.voice ? "" : " active") });
    row.textContent = (channel.voice ? "🔊 " : "# ") + channel.name;
    row.dataset.channel = channel.id;
    parts.push(row);
    if (!channel.voice) continue;
    const inside = view.members.filter((m) => m.voice === channel.id).map((m) => m.name);
    if (view.bot_voice === channel.id) inside.push(`${view.bot.name} (bot)`);
    const list = element("div", { className: "voice-members" });
    list.replaceChildren(...inside.map((name) => element("div", { textContent: name })));
    parts.push(list);
    const here = me(view).voice === channel.id;
    const button = element("button", {
      type: "button", className: here ? "secondary voice-toggle" : "voice-toggle",
      textContent: here ? "Leave voice" : "Join voice",
    });
    button.dataset.channel = channel.id;
    button.onclick = () => act(post("/api/voice", { member: page.member, channel: here ? null : channel.id }));
    parts.push(button);
  }
  nav.replaceChildren(...parts);
}

function renderMessages(view) {
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const keep = new Set(view.messages.map((m) => m.id));
  for (const [id, entry] of page.rendered) {
    if (!keep.has(id)) { entry.node.remove(); page.rendered.delete(id); }
  }
  let previous = null;
  for (const message of view.messages) {
    const signature = JSON.stringify(message);
    let entry = page.rendered.get(message.id);
    if (!entry || entry.signature !== signature) {
      const node = messageNode(message, view);
      if (entry) entry.node.replaceWith(node);
      entry = { node, signature };
      page.rendered.set(message.id, entry);
    }
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (expected !== entry.node) list.insertBefore(entry.node, expected);
    previous = entry.node;
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function messageNode(message, view) {
  const node = element("div", { className: "message" + (message.ephemeral ? " ephemeral" : "") });
  node.dataset.id = message.id;
  node.dataset.author = message.author.name;
  const avatar = element("div", { className: "avatar", textContent: message.author.name[0].toUpperCase() });
  avatar.style.background = colour(message.author.id);
  const body = element("div", { className: "body" });
  if (message.command) {
    body.append(element("div", { className: "used", textContent: `${message.command.user} used /${message.command.name}` }));
  }
  if (message.reply_to) {
    body.append(element("div", { className: "quote", textContent: `↪ ${message.reply_to.author}: ${message.reply_to.content}` }));
  }
  const meta = element("div", { className: "meta" });
  meta.append(element("span", { className: "author", textContent: message.author.name }));
  if (message.author.bot) meta.append(element("span", { className: "bot-tag", textContent: "APP" }));
  meta.append(new Date(Number(BigInt(message.id) >> 22n) + 1420070400000).toLocaleTimeString());
  body.append(meta);
  const content = element("div", { className: "content" });
  if (message.loading) {
    content.append(element("span", { className: "loading", textContent: `${message.author.name} is thinking…` }));
  } else {
    content.innerHTML = markdown(message.content, view);
    if (message.voice) content.prepend("🎤 Voice message ");
    if (message.edited) content.append(element("span", { className: "edited", textContent: " (edited)" }));
  }
  body.append(content);
  for (const attachment of message.attachments) body.append(attachmentNode(attachment));
  if (message.components.length) body.append(componentsNode(message));
  const reactions = Object.entries(message.reactions);
  if (reactions.length) {
    const row = element("div", { className: "reactions" });
    row.append(...reactions.map(([emoji, count]) => element("span", { className: "reaction", textContent: `${emoji} ${count}` })));
    body.append(row);
  }
  if (message.ephemeral) body.append(element("div", { className: "ephemeral-note", textContent: "👁 Only you can see this" }));
  node.append(avatar, body, actionsNode(message, view));
  return node;
}

function attachmentNode(attachment) {
  const box = element("div", { className: "attachment" });
  box.dataset.filename = attachment.filename;
  if (attachment.kind === "image") {
    box.append(element("img", { src: attachment.url, alt: attachment.filename }));
  } else if (attachment.kind === "audio") {
    box.append(element("audio", { src: attachment.url, controls: true, preload: "none" }));
  } else {
    box.append(element("a", { href: attachment.url, textContent: `📎 ${attachment.filename}`, target: "_blank" }));
    box.append(` (${size(attachment.size)})`);
  }
  return box;
}

function componentsNode(message) {
  const row = element("div", { className: "components" });
  for (const actionRow of message.components) {
    for (const component of actionRow.components || []) {
      if (component.type !== 2) continue;
      const label = [component.emoji && component.emoji.name, component.label].filter(Boolean).join(" ");
      const button = element("button", {
        type: "button", className: component.style === 1 ? "" : "secondary", textContent: label || "button",
        disabled: Boolean(component.disabled),
      });
      button.dataset.customId = component.custom_id || "";
      if (component.url) {
        button.onclick = () => window.open(component.url, "_blank");
      } else {
        button.onclick = () => act(post("/api/click", { member: page.member, message: message.id, custom_id: component.custom_id }));
      }
      row.append(button);
    }
  }
  return row;
}

function actionsNode(message, view) {
  const bar = element("div", { className: "actions" });
  const reply = element("button", { type: "button", textContent: "↩ Reply", className: "reply" });
  reply.onclick = () => startReply(message);
  bar.append(reply);
  const menus = view.commands.filter((c) => c.type === 3 && mayUse(c));
  if (menus.length) {
    const apps = element("button", { type: "button", textContent: "Apps ▾", className: "apps" });
    apps.onclick = () => {
      const menu = element("div", { className: "apps-menu" });
      for (const command of menus) {
        const entry = element("button", { type: "button", textContent: command.name });
        entry.dataset.command = command.name;
        entry.onclick = () => { menu.remove(); act(post("/api/menu", { member: page.member, command: command.name, message: message.id })); };
        menu.append(entry);
      }
      bar.parentElement.append(menu);
      setTimeout(() => document.addEventListener("click", () => menu.remove(), { once: true }), 0);
    };
    bar.append(apps);
  }
  return bar;
}

function renderStatus(view) {
  $("typing").hidden = !view.typing;
  $("typing").textContent = `${view.bot.name} is typing…`;
  $("unanswered").replaceChildren(
    ...view.unanswered.map((u) => element("span", { className: "did-not-respond", textContent: `/${u.command}: the application did not respond` }))
  );
}

// -- modals -------------------------------------------------------------------------------------------
function openModal(view) {
  const modal = view.modals[0];
  const dialog = $("modal");
  if (!modal) {
    if (dialog.open && page.shownModal) dialog.close();
    page.shownModal = null;
    return;
  }
  if (page.shownModal === modal.interaction) return;
  page.shownModal = modal.interaction;
  $("modal-title").textContent = modal.title;
  const fields = modal.fields.map((field) => {
    const label = element("label", { textContent: field.label || field.custom_id });
    const input = field.style === 2 ? element("textarea") : element("input");
    input.name = field.custom_id;
    input.value = field.value || "";
    input.required = field.required !== false;
    if (field.max_length) input.maxLength = field.max_length;
    if (field.placeholder) input.placeholder = field.placeholder;
    label.append(input);
    return label;
  });
  $("modal-fields").replaceChildren(...fields);
  dialog.showModal();
}

$("modal-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const values = {};
  for (const input of $("modal-fields").querySelectorAll("input, textarea")) values[input.name] = input.value;
  const interaction = page.shownModal;
  $("modal").close();
  act(post("/api/modal", { member: page.member, interaction, values }));
});
$("modal-cancel").onclick = () => {
  // Discord sends nothing when a member dismisses a modal; the page just stops showing it.
  $("modal").close();
};

// -- spoken answers -----------------------------------------------------------------------------------
function playSpeech(view) {
  const latest = view.plays.length ? view.plays[view.plays.length - 1].index : -1;
  if (page.playedIndex === null) { page.playedIndex = latest; return; }  // nothing old is replayed
  for (const play of view.plays) {
    if (play.index <= page.playedIndex) continue;
    page.playedIndex = play.index;
    if (play.listening) page.speech.push(play.uri);
  }
  speakNext();
}

function speakNext() {
  const speaker = $("speaker");
  if (!speaker.paused && !speaker.ended) return;
  const uri = page.speech.shift();
  $("speaking").hidden = !uri;
  if (!uri) return;
  speaker.src = uri;
  window.sandbox.heard.push(uri);
  speaker.play().catch((error) => toast(`The browser would not play the answer: ${error.message}`));
}
$("speaker").addEventListener("ended", speakNext);
$("speaker").addEventListener("error", speakNext);

// -- slash commands -----------------------------------------------------------------------------------
function mayUse(command) {
  const needed = command.default_member_permissions;
  return needed === null || needed === undefined || me().admin;  // Discord hides what a member may not use
}

function slashCommands() {
  const out = [];
  for (const command of page.view.commands) {
    if (command.type !== 1 || !mayUse(command)) continue;
    const options = command.options || [];
    const nested = options.filter((o) => o.type === OPTION.SUB_COMMAND || o.type === OPTION.GROUP);
    if (!nested.length) { out.push({ name: command.name, description: command.description, options }); continue; }
    for (const sub of nested) {
      if (sub.type === OPTION.SUB_COMMAND) {
        out.push({ name: `${command.name} ${sub.name}`, description: sub.description, options: sub.options || [] });
      } else {
        for (const leaf of sub.options || []) {
          out.push({ name: `${command.name} ${sub.name} ${leaf.name}`, description: leaf.description, options: leaf.options || [] });
        }
      }
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function showCommandList() {
  const text = $("text").value;
  const list = $("command-list");
  if (!text.startsWith("/") || !page.view) { list.hidden = true; return; }
  const typed = text.slice(1).trim().toLowerCase();
  const matches = slashCommands().filter((c) => c.name.startsWith(typed));
  list.replaceChildren(...matches.map((command, index) => {
    const row = element("div", { className: "command-choice" + (index === 0 ? " selected" : "") });
    row.dataset.command = command.name;
    row.append(element("strong", { textContent: `/${command.name}` }), element("span", { className: "description", textContent: command.description }));
    row.onclick = () => openCommand(command);
    return row;
  }));
  list.hidden = matches.length === 0;
}

function openCommand(command) {
  page.command = command;
  $("command-list").hidden = true;
  $("text").value = "";
  $("command-name").textContent = `/${command.name}`;
  $("command-description").textContent = command.description;
  const rows = [];
  for (const option of command.options) {
    const label = element("label", { textContent: option.name });
    label.htmlFor = `option-${option.name}`;
    if (option.required) label.append(element("span", { className: "required", textContent: " *" }));
    const input = optionInput(command, option);
    input.id = `option-${option.name}`;
    input.dataset.option = option.name;
    input.title = option.description || "";
    rows.push(label, input);
  }
  $("command-options").replaceChildren(...rows);
  $("command-form").hidden = false;
  const first = $("command-options").querySelector("input, select");
  if (first) first.focus();
}

function optionInput(command, option) {
  if (option.type === OPTION.BOOLEAN) {
    const select = element("select");
    select.append(new Option("", ""), new Option("True", "true"), new Option("False", "false"));
    return select;
  }
  if (option.choices && option.choices.length) {
    const select = element("select");
    select.append(new Option("", ""), ...option.choices.map((c) => new Option(c.name, String(c.value))));
    return select;
  }
  if (option.type === OPTION.ATTACHMENT) return element("input", { type: "file" });
  const input = element("input", { placeholder: option.description || "" });
  if (option.type === OPTION.INTEGER || option.type === OPTION.NUMBER) {
    input.type = "number";
    input.step = option.type === OPTION.INTEGER ? "1" : "any";
    if (option.min_value !== undefined) input.min = option.min_value;
    if (option.max_value !== undefined) input.max = option.max_value;
  }
  if (option.autocomplete) {
    const list = element("datalist", { id: `choices-${option.name}` });
    input.setAttribute("list", list.id);
    input.after(list);
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => suggest(command, option, input, list), 200);
    });
    input.addEventListener("focus", () => suggest(command, option, input, list));
    const wrapper = element("div");
    wrapper.append(input, list);
    wrapper.dataset.option = option.name;
    return Object.assign(wrapper, { field: input });
  }
  return input;
}

async function suggest(command, option, input, list) {
  const options = readOptions(command, { strings: true });
  options[option.name] = input.value;
  try {
    const answer = await post("/api/autocomplete", { member: page.member, command: command.name, options, focused: option.name });
    list.replaceChildren(...answer.choices.map((c) => new Option(c.name, String(c.value))));
  } catch (error) {
    list.replaceChildren();
  }
}

function fieldOf(name) {
  const node = $("command-options").querySelector(`[data-option="${CSS.escape(name)}"]`);
  return node && node.field ? node.field : node;
}

function readOptions(command, { strings = false } = {}) {
  const options = {};
  for (const option of command.options) {
    const field = fieldOf(option.name);
    if (!field || option.type === OPTION.ATTACHMENT || field.value === "") continue;
    if (strings && option.type !== OPTION.STRING) continue;
    if (option.type === OPTION.BOOLEAN) options[option.name] = field.value === "true";
    else if (option.type === OPTION.INTEGER) options[option.name] = parseInt(field.value, 10);
    else if (option.type === OPTION.NUMBER) options[option.name] = parseFloat(field.value);
    else options[option.name] = field.value;
  }
  return options;
}

$("command-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const command = page.command;
  const missing = command.options.filter((o) => o.required && !fieldValue(o));
  if (missing.length) { toast(`Fill in ${missing.map((o) => o.name).join(", ")}`); return; }
  const form = new FormData();
  form.append("member", page.member);
  form.append("command", command.name);
  form.append("options", JSON.stringify(readOptions(command)));
  for (const option of command.options) {
    const field = fieldOf(option.name);
    if (option.type === OPTION.ATTACHMENT && field.files.length) form.append(`file:${option.name}`, field.files[0]);
  }
  closeCommand();
  act(post("/api/slash", form));
});

function fieldValue(option) {
  const field = fieldOf(option.name);
  return option.type === OPTION.ATTACHMENT ? field.files.length > 0 : field.value !== "";
}

function closeCommand() {
  page.command = null;
  $("command-form").hidden = true;
  $("text").focus();
}
$("command-cancel").onclick = closeCommand;

// -- messages, replies, attachments, voice ------------------------------------------------------------
$("text").addEventListener("input", showCommandList);
$("text").addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !$("text").value.startsWith("/")) return;
  event.preventDefault();
  const first = $("command-list").querySelector(".command-choice");
  const command = first && slashCommands().find((c) => c.name === first.dataset.command);
  if (command) openCommand(command);
});

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const content = $("text").value;
  if (content.startsWith("/")) return;
  if (!content.trim() && !page.files.length) return;
  const form = new FormData();
  form.append("member", page.member);
  form.append("content", content);
  if (page.replyTo) form.append("reply_to", page.replyTo.id);
  for (const file of page.files) form.append("files", file);
  $("text").value = "";
  setFiles([]);
  stopReply();
  act(post("/api/message", form));
});

$("attach").onclick = () => $("attach-input").click();
$("attach-input").addEventListener("change", () => setFiles([...$("attach-input").files]));

function setFiles(files) {
  page.files = files;
  $("attach-input").value = "";
  $("attached").hidden = files.length === 0;
  $("attached").textContent = files.length ? `📎 ${files.map((f) => f.name).join(", ")}` : "";
}

function startReply(message) {
  page.replyTo = message;
  $("reply-author").textContent = message.author.name;
  $("reply-bar").hidden = false;
  $("text").focus();
}

function stopReply() {
  page.replyTo = null;
  $("reply-bar").hidden = true;
}
$("reply-cancel").onclick = stopReply;

$("record").onclick = async () => {
  if (page.recorder) { page.recorder.stop(); return; }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (error) {
    toast(`No microphone: ${error.message}`);
    return;
  }
  // Discord's clients send Ogg/Opus; browsers that only record WebM are converted by the sandbox.
  const type = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus"].find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    page.recorder = null;
    $("record").classList.remove("recording");
    $("record").title = "Record a voice message";
    const form = new FormData();
    form.append("member", page.member);
    form.append("recording", new Blob(chunks, { type: recorder.mimeType }), "recording");
    if (page.replyTo) form.append("reply_to", page.replyTo.id);
    stopReply();
    act(post("/api/voice-message", form));
  };
  recorder.start();
  page.recorder = recorder;
  $("record").classList.add("recording");
  $("record").title = "Stop and send";
};

$("member-select").addEventListener("change", (event) => watch(event.target.value));

// -- small helpers ------------------------------------------------------------------------------------
function element(tag, properties = {}) {
  return Object.assign(document.createElement(tag), properties);
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function markdown(text, view) {
  // Escaped first, so member text can never become markup; then the few forms Discord renders most.
  let html = escapeHtml(text);
  const blocks = [];
  html = html.replace(/```(?:\w*\n)?([\s\S]*?)```/g, (_, code) => `\u0000${blocks.push(code) - 1}\u0000`);
  html = html
    .replace(/`([^`\n]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|\W)[*_]([^*_\n]+)[*_](?=\W|$)/g, "$1<em>$2</em>")
    .replace(/&lt;@!?(\d+)&gt;/g, (_, id) => `@${nameOf(view, id)}`)
    .replace(/&lt;#(\d+)&gt;/g, (_, id) => `#${(view.channels.find((c) => c.id === id) || { name: id }).name}`);
  return html.replace(/\u0000(\d+)\u0000/g, (_, index) => `<pre>${blocks[Number(index)]}</pre>`);
}

function nameOf(view, id) {
  if (view.bot.id === id) return view.bot.name;
  const member = view.members.find((m) => m.id === id);
  return member ? member.name : id;
}

function size(bytes) {
  return bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
}

function colour(id) {
  const palette = ["#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#9b84ee"];
  return palette[Number(BigInt(id) % 6n)];
}

// -- start --------------------------------------------------------------------------------------------
fetch("/api/state").then((r) => r.json()).then((view) => watch(view.viewer));
