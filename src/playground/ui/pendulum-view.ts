/**
 * The cart-pole seen from the side, drawn from MuJoCo's qpos: cart position x, then each pole's
 * hinge angle relative to the one below (the models in assets/mujoco: a rail from x = −1 to 1,
 * poles 0.6 long hinged about the y axis, so a pole at angle θ leans towards +x by sin θ).
 */
import { canvasContext } from './plot.js';

const POLE_LENGTH = 0.6;
const RAIL = 1;

export interface PendulumFrame {
  qpos: readonly number[];
  /** The pole angle beyond which the episode ends (drawn as dashed limits), if any. */
  limit?: number;
  caption: string;
}

export function drawPendulum(canvas: HTMLCanvasElement, frame: PendulumFrame): void {
  const { ctx, w, h } = canvasContext(canvas);
  const poles = frame.qpos.length - 1;
  // World box: the rail with a margin, from below the rail to above the tallest pole.
  const top = poles * POLE_LENGTH + 0.15;
  const scale = Math.min(w / (2 * RAIL + 0.8), (h - 24) / (top + 0.25));
  const px = (x: number): number => w / 2 + x * scale;
  const pz = (z: number): number => h - 24 - (z + 0.2) * scale;
  const x = frame.qpos[0];

  ctx.strokeStyle = '#4d5b9e';
  ctx.lineWidth = 4;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(px(-RAIL), pz(0));
  ctx.lineTo(px(RAIL), pz(0));
  ctx.stroke();

  if (frame.limit !== undefined) {
    ctx.strokeStyle = '#c0392b';
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    for (const side of [-1, 1]) {
      ctx.moveTo(px(x), pz(0));
      ctx.lineTo(px(x + side * POLE_LENGTH * Math.sin(frame.limit)), pz(POLE_LENGTH * Math.cos(frame.limit)));
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }

  ctx.fillStyle = '#b3a100';
  ctx.fillRect(px(x - 0.15), pz(0) - 0.05 * scale, 0.3 * scale, 0.1 * scale);

  let [bx, bz, angle] = [x, 0, 0];
  ctx.strokeStyle = '#00a3a3';
  ctx.lineWidth = Math.max(3, 0.06 * scale);
  for (let i = 1; i <= poles; i++) {
    angle += frame.qpos[i];
    const tx = bx + POLE_LENGTH * Math.sin(angle);
    const tz = bz + POLE_LENGTH * Math.cos(angle);
    ctx.beginPath();
    ctx.moveTo(px(bx), pz(bz));
    ctx.lineTo(px(tx), pz(tz));
    ctx.stroke();
    [bx, bz] = [tx, tz];
  }

  ctx.fillStyle = '#333';
  ctx.font = '13px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText(frame.caption, 8, h - 4);
}
