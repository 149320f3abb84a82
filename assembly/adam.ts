// One Adam step (PyTorch torch.optim.Adam, L2 weight decay added to the gradient) over n floats,
// four lanes at a time. The bias corrections are folded by the caller into stepSize = lr / bc1 and
// sqrtBc2 = √bc2, so per element: p -= stepSize·m / (√v / sqrtBc2 + eps).
export function adam(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  stepSize: f32,
  sqrtBc2: f32,
): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(1 - beta1);
  const c2 = f32x4.splat(1 - beta2);
  const wd = f32x4.splat(weightDecay);
  const ss = f32x4.splat(stepSize);
  const sb = f32x4.splat(sqrtBc2);
  const ep = f32x4.splat(eps);
  const n4 = n & ~3;
  let off: usize = 0;
  const end4 = (<usize>n4) << 2;
  for (; off < end4; off += 16) {
    const pi = v128.load(p + off);
    const gi = f32x4.add(v128.load(g + off), f32x4.mul(wd, pi));
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + off)), f32x4.mul(c1, gi));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + off)), f32x4.mul(c2, f32x4.mul(gi, gi)));
    v128.store(m + off, mi);
    v128.store(v + off, vi);
    const den = f32x4.add(f32x4.div(f32x4.sqrt(vi), sb), ep);
    v128.store(p + off, f32x4.sub(pi, f32x4.div(f32x4.mul(ss, mi), den)));
  }
  const end = (<usize>n) << 2;
  for (; off < end; off += 4) {
    const pi = load<f32>(p + off);
    const gi = load<f32>(g + off) + weightDecay * pi;
    const mi = beta1 * load<f32>(m + off) + (1 - beta1) * gi;
    const vi = beta2 * load<f32>(v + off) + (1 - beta2) * gi * gi;
    store<f32>(m + off, mi);
    store<f32>(v + off, vi);
    store<f32>(p + off, pi - (stepSize * mi) / (Mathf.sqrt(vi) / sqrtBc2 + eps));
  }
}
