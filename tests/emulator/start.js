// Start telegram-test-api 4.2.1 on 127.0.0.1 for end-to-end tests, with its gaps filled so an
// unchanged python-telegram-bot 22 client can talk to it:
//   - getMe gets is_bot; message dates are seconds, not milliseconds;
//   - edit/delete/answerCallbackQuery return a value instead of `result: null`;
//   - callback updates get chat_instance; user objects get is_bot;
//   - methods the emulator lacks (setMyCommands, sendChatAction, ...) answer ok instead of 500;
//   - getUpdates long-polls up to `timeout` seconds instead of returning at once, and keeps an
//     update until a later `offset` confirms it (as Telegram does);
//   - /sendCommand without entities is refused instead of crashing the process.
// Control routes for fault tests: POST /_control/outage {seconds} makes the bot API drop
// connections for a while (the user API keeps working; {seconds: 0} ends an outage); POST /_control/fail {method, count,
// status, retry_after, description} answers the next `count` calls of `method` with an error
// (default HTTP 429 with retry_after); POST
// /_control/callback_answers lists the bot's answerCallbackQuery calls (notices it showed);
// POST /_control/documents lists the files the bot sent with sendDocument (multipart uploads,
// kept whole: chat_id, caption, file_name, mime_type and the content in base64); POST
// /_control/webhook {token} gives what the bot registered with setWebhook (url, secret_token).
//
// Usage: node start.js PORT   (prints "EMULATOR READY <url>" when listening)
'use strict';

const http = require('http');
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2] || process.env.EMULATOR_PORT || 9000);
const BOT = { id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot' };
const emulator = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 3600 });
emulator.setMaxListeners(0);
const NATIVE = new Set(['sendMessage', 'sendDocument', 'editMessageText', 'editMessageReplyMarkup', 'deleteMessage',
  'answerCallbackQuery', 'getMe', 'getUpdates', 'deleteWebhook', 'setWebhook']);
const FAKED = { getMyCommands: [], getWebhookInfo: { url: '', has_custom_certificate: false, pending_update_count: 0 } };
let outageUntil = 0;
const failures = {};
const callbackAnswers = []; // answerCallbackQuery calls: the emulator keeps no trace of them
const documents = []; // files uploaded with sendDocument: the emulator does not take uploads
const webhooks = {}; // token -> the last setWebhook parameters

process.on('unhandledRejection', (err) => console.error(`EMULATOR unhandled: ${err && err.message}`));

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function parseBody(req, raw) {
  const type = req.headers['content-type'] || '';
  const query = Object.fromEntries(new URL(req.url, 'http://x').searchParams);
  if (!raw.length) return query;
  if (type.includes('multipart/form-data')) return { ...query, ...parseMultipart(raw, type) };
  if (type.includes('json')) return { ...query, ...JSON.parse(raw.toString('utf8')) };
  const form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  return { ...query, ...form };
}

function parseMultipart(raw, type) {
  // multipart/form-data as python-telegram-bot uploads files: fields as strings, files as
  // { file_name, mime_type, data (Buffer) }.
  const match = /boundary="?([^";]+)"?/.exec(type);
  if (!match) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${match[1]}`);
  const fields = {};
  let start = raw.indexOf(delimiter);
  while (start !== -1) {
    const from = start + delimiter.length;
    if (raw.slice(from, from + 2).toString() === '--') break; // the closing delimiter
    const next = raw.indexOf(delimiter, from);
    if (next === -1) break;
    const part = raw.slice(from + 2, next - 2); // without the CRLF after the delimiter and before the next
    const split = part.indexOf('\r\n\r\n');
    const head = part.slice(0, split).toString('utf8');
    const body = part.slice(split + 4);
    const name = /name="([^"]*)"/.exec(head);
    const file = /filename="([^"]*)"/.exec(head);
    const mime = /content-type:\s*([^\r\n]+)/i.exec(head);
    if (name) {
      fields[name[1]] = file ? { file_name: file[1], mime_type: mime ? mime[1] : '', data: body } : body.toString('utf8');
    }
    start = next;
  }
  return fields;
}

const now = () => Math.floor(Date.now() / 1000);
const chatType = (id) => (Number(id) < 0 ? 'group' : 'private');

function fixUsers(value) {
  if (Array.isArray(value)) value.forEach(fixUsers);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if ((key === 'from' || key === 'user') && item && typeof item === 'object' && 'id' in item) {
        item.is_bot = item.is_bot || false;
        item.first_name = item.first_name || String(item.id);
      }
      if ((key === 'date' || key === 'edit_date') && typeof item === 'number' && item > 1e11) value[key] = Math.floor(item / 1000);
      fixUsers(item);
    }
  }
  return value;
}

function formatUpdate(update) {
  const formatted = TelegramServer.formatUpdate(update);
  const query = formatted.callback_query;
  if (query) {
    const chat = (query.message && query.message.chat) || { id: query.from.id, type: 'private' };
    query.chat_instance = String(chat.id);
    query.message = { date: now(), text: '', ...query.message, chat, from: BOT };
  } else {
    delete formatted.message.botToken;
  }
  return fixUsers(formatted);
}

function edited(params) {
  return {
    message_id: Number(params.message_id), date: now(), edit_date: now(), from: BOT,
    chat: { id: Number(params.chat_id), type: chatType(params.chat_id) },
    text: params.text || '',
    reply_markup: typeof params.reply_markup === 'string' ? JSON.parse(params.reply_markup) : params.reply_markup,
  };
}

function userUpdate() {
  // Resolves when the next user message, command or button press arrives.
  return new Promise((resolve) => {
    const events = ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'];
    const done = () => { events.forEach((e) => emulator.off(e, done)); resolve(); };
    events.forEach((e) => emulator.on(e, done));
  });
}

async function longPoll(token, timeout, offset, gone) {
  // As Telegram: an update stays pending until a later call confirms it with a higher
  // `offset`, so one fetched by a bot that stopped (or by a request it abandoned) is
  // delivered again to the next poller instead of being lost.
  const deadline = Date.now() + Math.min(Number(timeout) || 0, 50) * 1000;
  const pending = () => emulator.storage.userMessages.filter((u) => u.botToken === token && !u.isRead);
  if (Number(offset) > 0) pending().forEach((u) => { if (u.updateId < Number(offset)) u.isRead = true; });
  for (;;) {
    const updates = pending();
    const left = deadline - Date.now();
    if (gone()) return [];
    if (updates.length || left <= 0) return updates.map(formatUpdate);
    await Promise.race([userUpdate(), new Promise((resolve) => setTimeout(resolve, Math.min(left, 1000)))]);
  }
}

async function nextReplies(token, chatId, count, timeout) {
  // Like the user API's /getUpdates, but waits (without polling) until `count` replies arrived.
  const deadline = Date.now() + timeout * 1000;
  const unread = () => emulator.storage.botMessages.filter((u) => u.botToken === token
    && String(u.message.chat_id) === String(chatId) && !u.isRead);
  let found = unread();
  while (found.length < count && Date.now() < deadline) {
    await Promise.race([
      new Promise((resolve) => emulator.once('AddedBotMessage', resolve)),
      new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()))),
    ]);
    found = unread();
  }
  found.forEach((u) => { u.isRead = true; });
  return found;
}

async function botMethod(token, method, params, gone) {
  switch (method) {
    case 'getMe': return BOT;
    case 'getUpdates': return longPoll(token, params.timeout, params.offset, gone);
    case 'sendMessage': {
      const message = emulator.addBotMessage({ ...params }, token);
      // A Message as Telegram returns it, not the echo of every request field the emulator gives.
      return {
        message_id: message.message_id, date: now(), from: BOT, text: message.text,
        chat: { id: Number(params.chat_id), type: chatType(params.chat_id) },
        ...(message.reply_markup ? { reply_markup: message.reply_markup } : {}),
      };
    }
    case 'editMessageText': emulator.editMessageText({ ...params }); return edited(params);
    case 'editMessageReplyMarkup': emulator.editMessageReplyMarkup({ ...params }); return edited(params);
    case 'deleteMessage': {
      if (!emulator.deleteMessage(Number(params.chat_id), Number(params.message_id))) {
        throw Object.assign(new Error('Bad Request: message to delete not found'), { code: 400 });
      }
      return true;
    }
    case 'deleteWebhook': emulator.deleteWebhook(token); return true;
    case 'setWebhook': {
      webhooks[token] = { url: params.url, secret_token: params.secret_token || null };
      emulator.setWebhook({ url: params.url }, token);
      return true;
    }
    case 'answerCallbackQuery': callbackAnswers.push(params); return true;
    case 'sendDocument': {
      const file = params.document;
      if (!file || typeof file !== 'object' || !Buffer.isBuffer(file.data)) {
        throw Object.assign(new Error('Bad Request: the emulator keeps only uploaded documents'), { code: 400 });
      }
      const document = {
        file_id: `doc${documents.length + 1}`, file_unique_id: `doc${documents.length + 1}`,
        file_name: file.file_name, mime_type: file.mime_type, file_size: file.data.length,
      };
      documents.push({ chat_id: String(params.chat_id), caption: params.caption || '', file_name: file.file_name,
        mime_type: file.mime_type, content: file.data.toString('base64') });
      const message = emulator.addBotMessage({ chat_id: params.chat_id, text: params.caption || '', caption: params.caption, document }, token);
      return {
        message_id: message.message_id, date: now(), from: BOT, document,
        chat: { id: Number(params.chat_id), type: chatType(params.chat_id) },
        ...(params.caption ? { caption: params.caption } : {}),
      };
    }
    default: return true; // the methods the emulator lacks
  }
}

async function handle(req, res, raw) {
  const url = new URL(req.url, 'http://x');
  const bot = /^\/bot([^/]+)\/([A-Za-z]+)\/?$/.exec(url.pathname);
  let params;
  try {
    params = parseBody(req, raw);
  } catch (err) {
    send(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${err.message}` });
    return;
  }
  if (url.pathname === '/_control/outage') {
    outageUntil = Date.now() + Number(params.seconds || 0) * 1000;
    send(res, 200, { ok: true });
    return;
  }
  if (url.pathname === '/_control/next_replies') {
    send(res, 200, { ok: true, result: await nextReplies(params.token, params.chatId, Number(params.count || 1), Number(params.timeout || 10)) });
    return;
  }
  if (url.pathname === '/_control/callback_answers') {
    send(res, 200, { ok: true, result: callbackAnswers });
    return;
  }
  if (url.pathname === '/_control/documents') {
    send(res, 200, { ok: true, result: documents });
    return;
  }
  if (url.pathname === '/_control/webhook') {
    send(res, 200, { ok: true, result: webhooks[params.token] || null });
    return;
  }
  if (url.pathname === '/_control/fail') {
    failures[params.method] = {
      count: Number(params.count || 1), status: Number(params.status || 429),
      retryAfter: Number(params.retry_after || 1), description: params.description || 'Bad Request: failed on purpose',
    };
    send(res, 200, { ok: true });
    return;
  }
  if (bot) {
    const [, token, method] = bot;
    if (Date.now() < outageUntil) {
      req.socket.destroy();
      return;
    }
    const failure = failures[method];
    if (failure && failure.count > 0) {
      failure.count -= 1;
      if (failure.status === 429) {
        send(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${failure.retryAfter}`,
          parameters: { retry_after: failure.retryAfter } });
      } else {
        send(res, failure.status, { ok: false, error_code: failure.status, description: failure.description });
      }
      return;
    }
    try {
      const result = method in FAKED ? FAKED[method] : await botMethod(token, method, params, () => req.socket.destroyed);
      if (!NATIVE.has(method) && !(method in FAKED)) console.error(`EMULATOR faked ${method}`);
      send(res, 200, { ok: true, result });
    } catch (err) {
      send(res, err.code || 500, { ok: false, error_code: err.code || 500, description: err.message });
    }
    return;
  }
  if (url.pathname === '/sendCommand' && !Array.isArray(params.entities)) {
    send(res, 400, { ok: false, description: 'sendCommand needs entities with a bot_command' });
    return;
  }
  if (['/sendMessage', '/sendCommand', '/sendCallback'].includes(url.pathname) && !params.botToken) {
    send(res, 400, { ok: false, description: 'botToken is required' });
    return;
  }
  // The emulator's own user-side routes, with the body already parsed.
  req.body = params;
  req._body = true;
  emulator.webServer(req, res);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks)).catch((err) => send(res, 500, { ok: false, description: String(err) }));
  });
});

server.listen(port, '127.0.0.1', () => console.log(`EMULATOR READY http://127.0.0.1:${port}`));

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
