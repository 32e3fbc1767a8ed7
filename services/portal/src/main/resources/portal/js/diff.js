// A line diff (longest common subsequence) of two texts, for comparing site versions.

/** JSON with object keys sorted at every level, two-space indented: equal configs give equal text. */
export function canonical(value) {
  const sort = (v) => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out = {};
      for (const k of Object.keys(v).sort()) out[k] = sort(v[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

/** [{op: ' ' | '-' | '+', text}] turning a into b; configs are small (hundreds of lines at most). */
export function lineDiff(a, b) {
  const x = String(a).split('\n');
  const y = String(b).split('\n');
  const n = x.length;
  const m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ op: ' ', text: x[i] }); i += 1; j += 1; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) { out.push({ op: '-', text: x[i] }); i += 1; }
    else { out.push({ op: '+', text: y[j] }); j += 1; }
  }
  while (i < n) { out.push({ op: '-', text: x[i] }); i += 1; }
  while (j < m) { out.push({ op: '+', text: y[j] }); j += 1; }
  return out;
}
