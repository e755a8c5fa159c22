/** Markdown as GitHub renders it (marked, GitHub-flavoured), read the way a person reads a job summary. */
import { marked, type Token, type Tokens } from 'marked';

/** The rendered blocks in order, each with whether a closed `<details>` folds it away. */
export interface Block {
  token: Token;
  folded: boolean;
}

export function blocks(markdown: string): Block[] {
  const open: boolean[] = [];
  const out: Block[] = [];
  for (const token of marked.lexer(markdown, { gfm: true })) {
    if (token.type === 'space') continue;
    out.push({ token, folded: open.some((isOpen) => !isOpen) });
    if (token.type === 'html')
      for (const tag of token.raw.matchAll(/<(\/?)details(\s+open)?\s*>/gi)) {
        if (tag[1]) open.pop();
        else open.push(Boolean(tag[2]));
      }
  }
  return out;
}

/** What a reader sees of some Markdown: the rendered HTML's text, tags dropped, entities decoded. */
export function seen(markdown: string): string {
  return (marked.parse(markdown, { gfm: true, async: false }) as string)
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&')
    .trim();
}

/** A table's header and rows as the text each cell shows. */
export function tableText(token: Token): string[][] {
  const table = token as Tokens.Table;
  return [table.header.map((cell) => seen(cell.text).trim()), ...table.rows.map((row) => row.map((cell) => seen(cell.text).trim()))];
}

/** The visible (not folded) blocks of a summary. */
export const visible = (markdown: string): Token[] => blocks(markdown).flatMap((block) => (block.folded ? [] : [block.token]));
