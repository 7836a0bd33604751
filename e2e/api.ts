import { expect, inject } from 'vitest';
import { DEMO_PASSWORD } from '../backend/src/seed/demo-network.js';

/** The API itself (not through the web app), for arranging and checking what the browser shows. */
const apiUrl = () => inject('apiUrl');

/** Signs a demo user in; their access token and id. */
export async function apiLogin(email: string): Promise<{ token: string; userId: string }> {
  const res = await fetch(`${apiUrl()}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { accessToken: string; user: { id: string } };
  return { token: body.accessToken, userId: body.user.id };
}

export async function apiCall<T>(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
