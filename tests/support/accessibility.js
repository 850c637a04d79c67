// Run in a page by tests/support/browser.py: what fails WCAG 2.1 AA contrast (4.5:1, or 3:1 for
// large text), blending translucent backgrounds and opacity, and which visible control has no
// accessible name. Disabled controls are exempt from contrast, as WCAG allows.
() => {
  const problems = [];
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(',').map(Number);
    return { r, g, b, a };
  };
  const over = (top, base, alpha) => ({
    r: top.r * alpha + base.r * (1 - alpha),
    g: top.g * alpha + base.g * (1 - alpha),
    b: top.b * alpha + base.b * (1 - alpha),
  });
  const luminance = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reverse().reduce((base, c) => over(c, base, c.a), { r: 255, g: 255, b: 255 });
  };
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  for (const el of document.querySelectorAll('body *')) {
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('');
    if (!text || !shown(el) || el.closest(':disabled, .visually-hidden')) continue;
    const style = getComputedStyle(el);
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    const bg = background(el);
    const fg = parse(style.color);
    const ink = over(fg, bg, fg.a * opacity);
    const [light, dark] = [luminance(ink), luminance(bg)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}: "${text.slice(0, 50)}"`);
  }
  for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
    if (!shown(el)) continue;
    const named = el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
      || (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim());
    if (!named) problems.push(`no accessible name: ${el.outerHTML.slice(0, 100)}`);
  }
  return problems;
}
