// A small Markdown renderer for the bundled service documents (docs/*.md). It builds the DOM with
// createElement and text nodes only, like every other view: nothing in a document is ever parsed
// as HTML (a literal <script> in a document shows as those characters). It knows what docs/ uses:
// headings, paragraphs, bullet and numbered lists, fenced code, tables, block quotes, and inline
// code, bold, italics and links. A link to another bundled document opens it in the portal; a
// link elsewhere is kept only when it is http(s), and then opens in a new tab without a referrer.
import { h } from './dom.js';

/** The document as a DocumentFragment; {@code docLink(name, anchor)} gives the portal's href of a bundled doc. */
export function render(text, docLink) {
  const out = document.createDocumentFragment();
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) { i += 1; continue; }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) { body.push(lines[i]); i += 1; }
      i += 1;
      out.append(h('pre', {}, h('code', {}, body.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = Math.min(6, heading[1].length + 1);
      out.append(h('h' + level, { id: 'doc-' + slug(heading[2]) }, inline(heading[2], docLink)));
      i += 1;
      continue;
    }
    if (/^\s*\|/.test(line) && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1])) {
      const head = cells(line);
      i += 2;
      const rows = [];
      while (i < lines.length && /^\s*\|/.test(lines[i])) { rows.push(cells(lines[i])); i += 1; }
      out.append(h('div', { class: 'doc-table' }, h('table', {},
        h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, inline(c, docLink))))),
        h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, inline(c, docLink)))))))));
      continue;
    }
    const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const list = h(ordered ? 'ol' : 'ul', {});
      while (i < lines.length) {
        const m = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
        if (!m) break;
        let textOf = m[3];
        i += 1;
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !/^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
          textOf += ' ' + lines[i].trim();
          i += 1;
        }
        list.append(h('li', {}, inline(textOf, docLink)));
      }
      out.append(list);
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quote = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) { quote.push(lines[i].replace(/^\s*>\s?/, '')); i += 1; }
      out.append(h('blockquote', {}, inline(quote.join(' '), docLink)));
      continue;
    }
    const para = [];
    while (i < lines.length && !/^\s*$/.test(lines[i]) && !/^(#{1,6}\s|\s*```|\s*~~~|\s*\||\s*>|\s*([-*+]|\d+[.)])\s+)/.test(lines[i])) {
      para.push(lines[i].trim());
      i += 1;
    }
    if (para.length === 0) { out.append(h('p', {}, line)); i += 1; continue; }
    out.append(h('p', {}, inline(para.join(' '), docLink)));
  }
  return out;
}

function slug(s) {
  return String(s).toLowerCase().replace(/[`*_]/g, '').replace(/[^a-z0-9\u3040-\u30ff\u4e00-\u9fff]+/g, '-').replace(/^-|-$/g, '');
}

function cells(row) {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  const out = [];
  let cur = '';
  let code = false;
  for (let k = 0; k < inner.length; k += 1) {
    const c = inner[k];
    if (c === '`') code = !code;
    if (c === '\\' && inner[k + 1] === '|') { cur += '|'; k += 1; continue; }
    if (c === '|' && !code) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** Inline markup as nodes: `code`, **bold**, *em*, [text](href). Everything else is text. */
function inline(s, docLink) {
  const nodes = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  let m;
  while ((m = re.exec(s)) !== null) {
    if (m.index > last) nodes.push(s.slice(last, m.index));
    if (m[1] != null) nodes.push(h('code', {}, m[1]));
    else if (m[2] != null) nodes.push(h('strong', {}, m[2]));
    else if (m[3] != null) nodes.push(h('em', {}, m[3]));
    else nodes.push(link(m[4], m[5], docLink));
    last = re.lastIndex;
  }
  if (last < s.length) nodes.push(s.slice(last));
  return nodes;
}

function link(text, href, docLink) {
  const doc = /^([a-z0-9-]+\.md)(?:#([A-Za-z0-9-]+))?$/.exec(href);
  if (doc) return h('a', { href: docLink(doc[1], doc[2]) }, text);
  if (/^https?:\/\//i.test(href)) return h('a', { href, rel: 'noopener noreferrer', target: '_blank' }, text);
  return h('span', { class: 'doc-link' }, text);
}
