import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from './html-escape.js';

describe('html', () => {
  it('escapes every interpolated string, in content and in attributes', () => {
    const name = `<script>alert("x")</script> & 'co'`;
    expect(html`<p title="${name}">${name}</p>`.text).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p>',
    );
  });

  it('keeps markup it made itself, joins lists, and drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}${null}${undefined}${false}${0}</ul>`.text).toBe(
      '<ul><li>a&lt;b</li><li>c</li>0</ul>',
    );
    expect(html`${raw('<b>ok</b>')}`.text).toBe('<b>ok</b>');
  });

  it('escapes the five characters that matter and nothing else', () => {
    expect(escapeHtml(`≤ 5 min & <"'>`)).toBe('≤ 5 min &amp; &lt;&quot;&#39;&gt;');
  });
});
