/**
 * Expressions as data: the small tree a neuron declaration's equations are parsed into, so that
 * hhnet can simplify them, differentiate them symbolically (the partials BPTT needs) and render
 * them as code (plain JavaScript here; AssemblyScript for the wasm kernels).
 *
 * Grammar of equation strings: numbers (1, 0.5, 2e-3), names, + − * / ^ (** is ^; right
 * associative), unary −, parentheses and calls f(x[, y]) of the functions in FUNCTIONS.
 */
import * as exact from '../util/exact-math.js';

export type Expr =
  | { readonly op: 'num'; readonly value: number }
  | { readonly op: 'sym'; readonly name: string }
  | { readonly op: 'neg'; readonly a: Expr }
  | { readonly op: 'add' | 'sub' | 'mul' | 'div' | 'pow'; readonly a: Expr; readonly b: Expr }
  | { readonly op: 'call'; readonly fn: FunctionName; readonly args: readonly Expr[] };

/**
 * The functions an equation may call, with their arity. `exprel(x) = (e^x − 1)/x` (continuous at
 * 0, where it is 1) writes the HH rate functions without their removable singularity, as Brian2
 * does; `detach(x)` is x with a zero derivative (PyTorch's detach: terms dropped from BPTT).
 */
export const FUNCTIONS = {
  exp: 1,
  expm1: 1,
  log: 1,
  log1p: 1,
  sqrt: 1,
  tanh: 1,
  sin: 1,
  cos: 1,
  abs: 1,
  sigmoid: 1,
  exprel: 1,
  min: 2,
  max: 2,
  detach: 1,
  /** d exprel / dx, used by derivatives (not differentiable again). */
  exprel_d: 1,
  /** Heaviside H(x) = 1 for x > 0 else 0: allowed in values, not where a gradient is needed. */
  step: 1,
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

export const num = (value: number): Expr => ({ op: 'num', value });
export const sym = (name: string): Expr => ({ op: 'sym', name });
const ZERO = num(0);
const ONE = num(1);

// ---------------------------------------------------------------------------------------------
// Parsing

export class ExprError extends Error {}

/** Parses an equation's right-hand side; `where` names it in errors ("izhikevich: dynamics.v"). */
export function parseExpr(text: string, where: string): Expr {
  const tokens = tokenize(text, where);
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const fail = (msg: string): never => {
    throw new ExprError(`${where}: ${msg} in "${text}"`);
  };
  const expect = (tok: string): void => {
    if (tokens[pos] !== tok)
      fail(`expected "${tok}" but found ${tokens[pos] ? `"${tokens[pos]}"` : 'the end'}`);
    pos++;
  };
  // Precedence climbing: sum → product → unary → power → atom.
  const sum = (): Expr => {
    let e = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[pos++] === '+' ? 'add' : 'sub';
      e = { op, a: e, b: product() };
    }
    return e;
  };
  const product = (): Expr => {
    let e = unary();
    while (peek() === '*' || peek() === '/') {
      const op = tokens[pos++] === '*' ? 'mul' : 'div';
      e = { op, a: e, b: unary() };
    }
    return e;
  };
  const unary = (): Expr => {
    if (peek() === '-') {
      pos++;
      return { op: 'neg', a: unary() };
    }
    if (peek() === '+') {
      pos++;
      return unary();
    }
    return power();
  };
  const power = (): Expr => {
    const base = atom();
    if (peek() === '^') {
      pos++;
      return { op: 'pow', a: base, b: unary() };
    }
    return base;
  };
  const atom = (): Expr => {
    const tok = tokens[pos++];
    if (tok === undefined) return fail('unexpected end');
    if (tok === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (/^[0-9.]/.test(tok)) {
      const value = Number(tok);
      if (!Number.isFinite(value)) fail(`bad number "${tok}"`);
      return num(value);
    }
    if (/^[A-Za-z_]/.test(tok)) {
      if (peek() !== '(') return sym(tok);
      if (!Object.prototype.hasOwnProperty.call(FUNCTIONS, tok))
        fail(`unknown function "${tok}" (known: ${Object.keys(FUNCTIONS).join(', ')})`);
      const fn = tok as FunctionName;
      pos++;
      const args: Expr[] = [sum()];
      while (peek() === ',') {
        pos++;
        args.push(sum());
      }
      expect(')');
      if (args.length !== FUNCTIONS[fn]) fail(`${fn} takes ${FUNCTIONS[fn]} argument(s), got ${args.length}`);
      return { op: 'call', fn, args };
    }
    return fail(`unexpected "${tok}"`);
  };
  const e = sum();
  if (pos < tokens.length) fail(`unexpected "${tokens[pos]}"`);
  return e;
}

function tokenize(text: string, where: string): string[] {
  const re =
    /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*/^(),]))/y;
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (/^\s*$/.test(text.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new ExprError(`${where}: unexpected character "${text.slice(i).trim()[0]}" in "${text}"`);
    out.push(m[3] === '**' ? '^' : (m[1] ?? m[2] ?? m[3]));
    i = re.lastIndex;
  }
  if (out.length === 0) throw new ExprError(`${where}: empty expression`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Inspection and rewriting

/** The names an expression reads. */
export function symbols(e: Expr, into = new Set<string>()): Set<string> {
  switch (e.op) {
    case 'num':
      break;
    case 'sym':
      into.add(e.name);
      break;
    case 'neg':
      symbols(e.a, into);
      break;
    case 'call':
      for (const a of e.args) symbols(a, into);
      break;
    default:
      symbols(e.a, into);
      symbols(e.b, into);
  }
  return into;
}

/** Replaces names by expressions (names not in `by` stay), simplifying as it rebuilds. */
export function substitute(e: Expr, by: ReadonlyMap<string, Expr>): Expr {
  switch (e.op) {
    case 'num':
      return e;
    case 'sym':
      return by.get(e.name) ?? e;
    case 'neg':
      return neg(substitute(e.a, by));
    case 'call':
      return call(
        e.fn,
        e.args.map((a) => substitute(a, by)),
      );
    default:
      return binary(e.op, substitute(e.a, by), substitute(e.b, by));
  }
}

/** A canonical text of the tree (for structural equality and common-subexpression keys). */
export function key(e: Expr): string {
  switch (e.op) {
    case 'num':
      return Object.is(e.value, -0) ? '0' : String(e.value);
    case 'sym':
      return e.name;
    case 'neg':
      return `(-${key(e.a)})`;
    case 'call':
      return `${e.fn}(${e.args.map(key).join(',')})`;
    default:
      return `(${key(e.a)}${OP_TEXT[e.op]}${key(e.b)})`;
  }
}
const OP_TEXT = { add: '+', sub: '-', mul: '*', div: '/', pow: '^' } as const;

const isNum = (e: Expr, v?: number): e is { op: 'num'; value: number } =>
  e.op === 'num' && (v === undefined || e.value === v);

// Smart constructors: fold constants and drop neutral elements, so derivatives stay small.
export function neg(a: Expr): Expr {
  if (isNum(a)) return num(-a.value);
  if (a.op === 'neg') return a.a;
  return { op: 'neg', a };
}

export function binary(op: 'add' | 'sub' | 'mul' | 'div' | 'pow', a: Expr, b: Expr): Expr {
  if (isNum(a) && isNum(b)) {
    const x = a.value;
    const y = b.value;
    const v =
      op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : op === 'div' ? x / y : x ** y;
    if (Number.isFinite(v)) return num(v);
  }
  switch (op) {
    case 'add':
      if (isNum(a, 0)) return b;
      if (isNum(b, 0)) return a;
      if (b.op === 'neg') return binary('sub', a, b.a);
      break;
    case 'sub':
      if (isNum(b, 0)) return a;
      if (isNum(a, 0)) return neg(b);
      if (b.op === 'neg') return binary('add', a, b.a);
      if (key(a) === key(b)) return ZERO;
      break;
    case 'mul':
      if (isNum(a, 0) || isNum(b, 0)) return ZERO;
      if (isNum(a, 1)) return b;
      if (isNum(b, 1)) return a;
      if (isNum(a, -1)) return neg(b);
      if (isNum(b, -1)) return neg(a);
      if (a.op === 'neg' && b.op === 'neg') return binary('mul', a.a, b.a);
      if (a.op === 'neg') return neg(binary('mul', a.a, b));
      if (b.op === 'neg') return neg(binary('mul', a, b.a));
      // Constants to the front, and merged: 2·(3·x) = 6·x.
      if (isNum(b)) return binary('mul', b, a);
      if (isNum(a) && b.op === 'mul' && isNum(b.a)) return binary('mul', num(a.value * b.a.value), b.b);
      break;
    case 'div':
      if (isNum(a, 0)) return ZERO;
      if (isNum(b, 1)) return a;
      if (a.op === 'neg') return neg(binary('div', a.a, b));
      if (isNum(b) && b.value !== 0) return binary('mul', num(1 / b.value), a);
      break;
    case 'pow':
      if (isNum(b, 0)) return ONE;
      if (isNum(b, 1)) return a;
      break;
  }
  return { op, a, b };
}

export function call(fn: FunctionName, args: readonly Expr[]): Expr {
  if (fn !== 'detach' && args.every((a) => isNum(a))) {
    const v = evaluate({ op: 'call', fn, args }, () => 0);
    if (Number.isFinite(v)) return num(v);
  }
  return { op: 'call', fn, args };
}

/** Rebuilds a tree through the smart constructors (simplifies a parsed tree). */
export function simplify(e: Expr): Expr {
  return substitute(e, new Map());
}

// ---------------------------------------------------------------------------------------------
// Differentiation

export class NotDifferentiableError extends ExprError {}

/**
 * ∂e/∂x, simplified; detach(…) has derivative zero. Throws NotDifferentiableError for step() and exprel_d() on a path that depends on x.
 */
export function derivative(e: Expr, x: string): Expr {
  const d = (f: Expr): Expr => derivative(f, x);
  switch (e.op) {
    case 'num':
      return ZERO;
    case 'sym':
      return e.name === x ? ONE : ZERO;
    case 'neg':
      return neg(d(e.a));
    case 'add':
      return binary('add', d(e.a), d(e.b));
    case 'sub':
      return binary('sub', d(e.a), d(e.b));
    case 'mul':
      return binary('add', binary('mul', d(e.a), e.b), binary('mul', e.a, d(e.b)));
    case 'div': {
      // (a/b)' = a'/b − a·b'/b²
      const db = d(e.b);
      const first = binary('div', d(e.a), e.b);
      if (isNum(db, 0)) return first;
      return binary('sub', first, binary('div', binary('mul', e.a, db), binary('mul', e.b, e.b)));
    }
    case 'pow': {
      const da = d(e.a);
      const db = d(e.b);
      if (isNum(db, 0)) {
        // (a^c)' = c·a^(c−1)·a'
        if (isNum(da, 0)) return ZERO;
        return binary('mul', binary('mul', e.b, binary('pow', e.a, binary('sub', e.b, ONE))), da);
      }
      // (a^b)' = a^b·(b'·ln a + b·a'/a)
      return binary(
        'mul',
        e,
        binary('add', binary('mul', db, call('log', [e.a])), binary('div', binary('mul', e.b, da), e.a)),
      );
    }
    case 'call': {
      if (e.fn === 'detach') return ZERO;
      const [a, b] = e.args;
      if (e.fn === 'min' || e.fn === 'max') {
        // Piecewise: the derivative of the argument that is selected (ties go to the first).
        const first = call('step', [e.fn === 'min' ? binary('sub', b, a) : binary('sub', a, b)]);
        const da = d(a);
        const dbb = d(b);
        if (isNum(da, 0) && isNum(dbb, 0)) return ZERO;
        return binary('add', binary('mul', first, da), binary('mul', binary('sub', ONE, first), dbb));
      }
      const da = d(a);
      if (isNum(da, 0)) return ZERO;
      return binary('mul', outerDerivative(e.fn, a, e), da);
    }
  }
}

/** f'(a) for f(a) = whole. */
function outerDerivative(fn: FunctionName, a: Expr, whole: Expr): Expr {
  switch (fn) {
    case 'exp':
      return whole;
    case 'expm1':
      return call('exp', [a]);
    case 'log':
      return binary('div', ONE, a);
    case 'log1p':
      return binary('div', ONE, binary('add', ONE, a));
    case 'sqrt':
      return binary('div', num(0.5), whole);
    case 'tanh':
      return binary('sub', ONE, binary('mul', whole, whole));
    case 'sin':
      return call('cos', [a]);
    case 'cos':
      return neg(call('sin', [a]));
    case 'abs':
      // sign(a), 0 at 0 (a subgradient): step(a) − step(−a).
      return binary('sub', call('step', [a]), call('step', [neg(a)]));
    case 'sigmoid':
      return binary('mul', whole, binary('sub', ONE, whole));
    case 'exprel':
      return call('exprel_d', [a]);
    default:
      throw new NotDifferentiableError(`${fn}() has no derivative`);
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation (tests, defaults, constant folding) and the numeric helpers generated code calls

/** exprel(x) = (e^x − 1)/x, 1 at x = 0 (series near 0 keeps full precision). */
export function exprel(x: number): number {
  return Math.abs(x) < 1e-6 ? 1 + x / 2 + (x * x) / 6 : exact.expm1(x) / x;
}

/** exprel'(x) = (x·e^x − e^x + 1)/x², 1/2 at x = 0. */
export function exprelD(x: number): number {
  if (Math.abs(x) < 1e-3) return 0.5 + x / 3 + (x * x) / 8 + (x * x * x) / 30;
  return (x * exact.exp(x) - exact.expm1(x)) / (x * x);
}

/** Numeric value of e with names read through `lookup`. */
export function evaluate(e: Expr, lookup: (name: string) => number): number {
  const ev = (f: Expr): number => evaluate(f, lookup);
  switch (e.op) {
    case 'num':
      return e.value;
    case 'sym':
      return lookup(e.name);
    case 'neg':
      return -ev(e.a);
    case 'add':
      return ev(e.a) + ev(e.b);
    case 'sub':
      return ev(e.a) - ev(e.b);
    case 'mul':
      return ev(e.a) * ev(e.b);
    case 'div':
      return ev(e.a) / ev(e.b);
    case 'pow':
      return ev(e.a) ** ev(e.b);
    case 'call': {
      const x = ev(e.args[0]);
      switch (e.fn) {
        case 'min':
          return Math.min(x, ev(e.args[1]));
        case 'max':
          return Math.max(x, ev(e.args[1]));
        default:
          return RUNTIME[e.fn](x);
      }
    }
  }
}

const RUNTIME: Record<Exclude<FunctionName, 'min' | 'max'>, (x: number) => number> = {
  exp: exact.exp,
  expm1: exact.expm1,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sin: Math.sin,
  cos: Math.cos,
  abs: Math.abs,
  sigmoid: (x) => 1 / (1 + exact.exp(-x)),
  exprel,
  exprel_d: exprelD,
  detach: (x) => x,
  step: (x) => (x > 0 ? 1 : 0),
};

// ---------------------------------------------------------------------------------------------
// Rendering to JavaScript, with common subexpressions computed once

/**
 * JavaScript statements that compute `outputs` (assigned through `assign(i, code)`), with every
 * compound subtree that occurs more than once bound to a const first. `name(sym)` renders a
 * symbol (e.g. an array slot). Helpers are read from `R` (see JS_RUNTIME).
 */
export function renderJs(
  outputs: readonly Expr[],
  name: (sym: string) => string,
  assign: (index: number, code: string) => string,
  /** How a function is called: `${prefix}${name}(…)` (AssemblyScript renders with a namespace too). */
  prefix = 'R.',
  /** How a number is written (AssemblyScript wants float literals with a decimal point). */
  numText: (v: number) => string = (v) => String(v),
): string {
  const counts = new Map<string, number>();
  const count = (e: Expr): void => {
    if (e.op === 'num' || e.op === 'sym') return;
    const k = key(e);
    const c = (counts.get(k) ?? 0) + 1;
    counts.set(k, c);
    if (c > 1) return; // children already counted under the first occurrence
    if (e.op === 'neg') count(e.a);
    else if (e.op === 'call') e.args.forEach(count);
    else {
      count(e.a);
      count(e.b);
    }
  };
  outputs.forEach(count);
  const bound = new Map<string, string>();
  const lines: string[] = [];
  const render = (e: Expr): string => {
    if (e.op === 'num')
      return e.value < 0 || Object.is(e.value, -0) ? `(${numText(e.value)})` : numText(e.value);
    if (e.op === 'sym') return name(e.name);
    const k = key(e);
    const have = bound.get(k);
    if (have) return have;
    let code: string;
    switch (e.op) {
      case 'neg':
        code = `(-${render(e.a)})`;
        break;
      case 'pow':
        code =
          isNum(e.b) && Number.isInteger(e.b.value) && e.b.value >= 2 && e.b.value <= 4
            ? `(${Array(e.b.value).fill(render(e.a)).join(' * ')})` // exact, and faster than **
            : `(${render(e.a)} ** ${render(e.b)})`;
        break;
      case 'call':
        code = e.fn === 'detach' ? render(e.args[0]) : `${prefix}${e.fn}(${e.args.map(render).join(', ')})`;
        break;
      default:
        code = `(${render(e.a)} ${OP_TEXT[e.op]} ${render(e.b)})`;
    }
    if ((counts.get(k) ?? 0) > 1) {
      const t = `t${bound.size}`;
      lines.push(`const ${t} = ${code};`);
      bound.set(k, t);
      return t;
    }
    return code;
  };
  outputs.forEach((e, i) => {
    const code = render(e);
    lines.push(assign(i, code));
  });
  return lines.join('\n');
}

/** The helpers generated JavaScript calls as R.name(…). */
export const JS_RUNTIME = { ...RUNTIME, min: Math.min, max: Math.max };

/** An arrow function `(params) => { body }` compiled from generated code (renderJs), with R in scope. */
export function jsFunction<F>(params: string, body: string): F {
  return new Function('R', `return (${params}) => {\n${body}\n};`)(JS_RUNTIME) as F;
}

/** Readable text of an expression (docs, `hhnet models`). */
export function format(e: Expr): string {
  switch (e.op) {
    case 'num':
      return String(e.value);
    case 'sym':
      return e.name;
    case 'neg':
      return `-${wrap(e.a)}`;
    case 'call':
      return `${e.fn}(${e.args.map(format).join(', ')})`;
    default:
      return `${wrap(e.a)} ${OP_TEXT[e.op]} ${wrap(e.b)}`;
  }
}
const wrap = (e: Expr): string =>
  e.op === 'num' || e.op === 'sym' || e.op === 'call' ? format(e) : `(${format(e)})`;

/** e with every detach(x) replaced by x (simulation sees through detach; only BPTT drops it). */
export function stripDetach(e: Expr): Expr {
  switch (e.op) {
    case 'num':
    case 'sym':
      return e;
    case 'neg':
      return neg(stripDetach(e.a));
    case 'call':
      return e.fn === 'detach' ? stripDetach(e.args[0]) : call(e.fn, e.args.map(stripDetach));
    default:
      return binary(e.op, stripDetach(e.a), stripDetach(e.b));
  }
}
