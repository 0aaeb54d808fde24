// A small, safe Markdown renderer for card detail: it builds DOM nodes (never innerHTML), so text from a
// response can never become markup. Supports what our card templates emit: paragraphs, headings, bullet
// lists, pipe tables, **bold**, *italic*, `code`, [links](https://...) and backslash escapes.
"use strict";

const SafeMarkdown = (() => {
  const SAFE_URL = /^(https?:|mailto:)/i;

  // Inline spans, leftmost first. Backslash escapes come first so "\|" or "\*" stay literal.
  const INLINE = /\\([\\`*_{}\[\]()#+!|<>~.-])|`([^`]+)`|\*\*(.+?)\*\*|\*([^*]+)\*|\[([^\]]*(?:\\\][^\]]*)*)\]\(([^)\s]+)\)/;

  function appendInline(parent, text) {
    let rest = text;
    while (rest.length > 0) {
      const match = INLINE.exec(rest);
      if (!match) {
        parent.appendChild(document.createTextNode(rest));
        return;
      }
      if (match.index > 0) parent.appendChild(document.createTextNode(rest.slice(0, match.index)));
      const [whole, escaped, code, bold, italic, linkText, href] = match;
      if (escaped !== undefined) {
        parent.appendChild(document.createTextNode(escaped));
      } else if (code !== undefined) {
        const el = document.createElement("code");
        el.textContent = code;
        parent.appendChild(el);
      } else if (bold !== undefined) {
        const el = document.createElement("strong");
        appendInline(el, bold);
        parent.appendChild(el);
      } else if (italic !== undefined) {
        const el = document.createElement("em");
        appendInline(el, italic);
        parent.appendChild(el);
      } else if (SAFE_URL.test(href)) {
        const el = document.createElement("a");
        el.href = href;
        el.target = "_blank";
        el.rel = "noopener noreferrer";
        appendInline(el, linkText);
        parent.appendChild(el);
      } else {
        appendInline(parent, linkText); // a link to javascript: or a relative path keeps only its text
      }
      rest = rest.slice(match.index + whole.length);
    }
  }

  // Split a table row on pipes that are not backslash-escaped.
  function cells(line) {
    const trimmed = line.trim().replace(/^\|/, "").replace(/(^|[^\\])\|$/, "$1");
    const out = [];
    let current = "";
    for (let i = 0; i < trimmed.length; i += 1) {
      const ch = trimmed[i];
      if (ch === "\\" && i + 1 < trimmed.length) {
        current += ch + trimmed[i + 1];
        i += 1;
      } else if (ch === "|") {
        out.push(current.trim());
        current = "";
      } else {
        current += ch;
      }
    }
    out.push(current.trim());
    return out;
  }

  const isTableRow = (line) => /^\s*\|/.test(line);
  const isSeparator = (line) => /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(line);
  const isBullet = (line) => /^\s*[-*]\s+/.test(line);

  function render(markdown) {
    const root = document.createElement("div");
    root.className = "markdown";
    const lines = String(markdown || "").replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (!line.trim()) {
        i += 1;
        continue;
      }
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) {
        const el = document.createElement(`h${Math.min(heading[1].length + 2, 6)}`);
        appendInline(el, heading[2]);
        root.appendChild(el);
        i += 1;
      } else if (isTableRow(line) && i + 1 < lines.length && isSeparator(lines[i + 1])) {
        const table = document.createElement("table");
        const head = table.createTHead().insertRow();
        for (const cell of cells(line)) {
          const th = document.createElement("th");
          appendInline(th, cell);
          head.appendChild(th);
        }
        const body = table.createTBody();
        i += 2;
        while (i < lines.length && isTableRow(lines[i])) {
          const row = body.insertRow();
          for (const cell of cells(lines[i])) appendInline(row.insertCell(), cell);
          i += 1;
        }
        root.appendChild(table);
      } else if (isBullet(line)) {
        const list = document.createElement("ul");
        while (i < lines.length && isBullet(lines[i])) {
          const item = document.createElement("li");
          appendInline(item, lines[i].replace(/^\s*[-*]\s+/, ""));
          list.appendChild(item);
          i += 1;
        }
        root.appendChild(list);
      } else {
        const paragraph = document.createElement("p");
        const parts = [];
        while (i < lines.length && lines[i].trim() && !isBullet(lines[i]) && !isTableRow(lines[i])
               && !/^#{1,6}\s/.test(lines[i])) {
          parts.push(lines[i].trim());
          i += 1;
        }
        appendInline(paragraph, parts.join(" "));
        root.appendChild(paragraph);
      }
    }
    return root;
  }

  return { render };
})();
