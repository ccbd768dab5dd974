// experiment: generated unrolled kernels
type Fn = (...a: any[]) => void;
export function genForward(I: number, U: number): Fn {
  let s = `for (let r = 0; r < n; r++) { const xo = r * ${I}, zo = r * ${U};\n`;
  for (let j = 0; j < U; j++) s += `let z${j} = b[${j}];\n`;
  for (let i = 0; i < I; i++) {
    s += `{ const xi = x[xo + ${i}]; if (xi !== 0) { `;
    for (let j = 0; j < U; j++) s += `z${j} += xi * W[${i * U + j}]; `;
    s += `} }\n`;
  }
  for (let j = 0; j < U; j++) s += `z[zo + ${j}] = z${j};\n`;
  s += `}`;
  return new Function('x', 'W', 'b', 'z', 'n', s) as Fn;
}
// gradient of W, b: gW[i,j] = sum_r x[r,i] dz[r,j]
export function genGradW(I: number, U: number): Fn {
  let s = '';
  for (let j = 0; j < U; j++) s += `let gb${j} = 0;\n`;
  s += `for (let r = 0; r < n; r++) { const zo = r * ${U};\n`;
  for (let j = 0; j < U; j++) s += `gb${j} += dz[zo + ${j}];\n`;
  s += `}\n`;
  for (let j = 0; j < U; j++) s += `gb[${j}] = gb${j};\n`;
  s += `for (let i = 0; i < ${I}; i++) {\n`;
  for (let j = 0; j < U; j++) s += `let a${j} = 0;\n`;
  s += `for (let r = 0; r < n; r++) { const xi = x[r * ${I} + i]; if (xi === 0) continue; const zo = r * ${U};\n`;
  for (let j = 0; j < U; j++) s += `a${j} += xi * dz[zo + ${j}];\n`;
  s += `}\nconst wo = i * ${U};\n`;
  for (let j = 0; j < U; j++) s += `gW[wo + ${j}] = a${j};\n`;
  s += `}`;
  return new Function('x', 'dz', 'gW', 'gb', 'n', s) as Fn;
}
// dx[r,i] = sum_j dz[r,j] W[i,j]; masked where x==0 when relu below
export function genGradX(I: number, U: number, reluBelow: boolean): Fn {
  let s = `for (let r = 0; r < n; r++) { const xo = r * ${I}, zo = r * ${U};\n`;
  for (let j = 0; j < U; j++) s += `const g${j} = dz[zo + ${j}];\n`;
  for (let i = 0; i < I; i++) {
    const sum = Array.from({ length: U }, (_, j) => `g${j} * W[${i * U + j}]`).join(' + ');
    s += reluBelow ? `dx[xo + ${i}] = x[xo + ${i}] === 0 ? 0 : ${sum};\n` : `dx[xo + ${i}] = ${sum};\n`;
  }
  s += `}`;
  return new Function('x', 'dz', 'W', 'dx', 'n', s) as Fn;
}
