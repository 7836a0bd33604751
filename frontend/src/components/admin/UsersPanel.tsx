'use client';

import { Fragment, useState, type FormEvent } from 'react';
import { ApiErrorView } from '@/components/ApiErrorView';
import { api } from '@/lib/api';
import { joinOrDash, orDash } from '@/lib/format';
import type { ApiResource } from '@/lib/hooks';
import { ROLE_LABEL } from '@/lib/roles';
import { ROLES, type Hospital, type Role, type User } from '@/lib/types';
import { FormStatus, splitList, useSubmit } from './forms';
import { ShiftsEditor } from './ShiftsEditor';

function expiryClass(iso: string, now: number) {
  const t = Date.parse(iso);
  return !Number.isNaN(t) && t < now ? 'expired' : undefined;
}

function shortDate(iso: string) {
  return iso ? iso.slice(0, 10) : '—';
}

export function UsersPanel({ users, hospitals }: { users: ApiResource<User[]>; hospitals: ApiResource<Hospital[]> }) {
  const { data, error, reload } = users;
  const hospitalName = (id: string | null) =>
    id ? (hospitals.data?.find((h) => h.id === id)?.name ?? id) : '—';
  const [now] = useState(() => Date.now());
  const [shiftsOf, setShiftsOf] = useState<string | null>(null);

  return (
    <>
      <CreateUserForm hospitals={hospitals.data ?? []} onCreated={reload} />
      <ApiErrorView error={error} onRetry={reload} />
      {data && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Role</th>
                <th>Hospital</th>
                <th>Subspecialties</th>
                <th>Licenses</th>
                <th>Privileges</th>
                <th className="actions-col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((u) => (
                <Fragment key={u.id}>
                  <tr data-testid="user-row" data-id={u.id}>
                    <td className="strong">{orDash(u.displayName)}</td>
                    <td>{u.email}</td>
                    <td>
                      <span className="role-chip">{u.role}</span>
                    </td>
                    <td>{hospitalName(u.hospitalId)}</td>
                    <td>{joinOrDash(u.subspecialties)}</td>
                    <td>
                      {u.licenses?.length
                        ? u.licenses.map((l) => (
                            <div key={`${l.jurisdiction}-${l.expiresAt}`} className={expiryClass(l.expiresAt, now)}>
                              {l.jurisdiction} <span className="muted">until {shortDate(l.expiresAt)}</span>
                            </div>
                          ))
                        : '—'}
                    </td>
                    <td>
                      {u.privileges?.length
                        ? u.privileges.map((p) => (
                            <div key={`${p.hospitalId}-${p.expiresAt}`} className={expiryClass(p.expiresAt, now)}>
                              {hospitalName(p.hospitalId)} <span className="muted">until {shortDate(p.expiresAt)}</span>
                            </div>
                          ))
                        : '—'}
                    </td>
                    <td className="actions-col">
                      {u.role === 'RADIOLOGIST' && (
                        <button
                          type="button"
                          className="btn btn-small"
                          aria-expanded={shiftsOf === u.id}
                          data-testid="user-shifts-open"
                          onClick={() => setShiftsOf(shiftsOf === u.id ? null : u.id)}
                        >
                          Shifts
                        </button>
                      )}
                    </td>
                  </tr>
                  {shiftsOf === u.id && (
                    <tr>
                      <td colSpan={8}>
                        <ShiftsEditor userId={u.id} name={u.displayName || u.email} onClose={() => setShiftsOf(null)} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
          {data.length === 0 && <p className="empty">No users yet.</p>}
        </div>
      )}
    </>
  );
}

const EMPTY = { email: '', password: '', displayName: '', role: 'RADIOLOGIST' as Role, hospitalId: '', subspecialties: '' };

function CreateUserForm({ hospitals, onCreated }: { hospitals: Hospital[]; onCreated: () => void }) {
  const [form, setForm] = useState(EMPTY);
  const submit = useSubmit();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  const setRole = (e: { target: { value: string } }) =>
    // Only hospital staff belong to a hospital.
    setForm((f) => ({ ...f, role: e.target.value as Role, hospitalId: e.target.value === 'HOSPITAL_STAFF' ? f.hospitalId : '' }));
  const isStaff = form.role === 'HOSPITAL_STAFF';

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const subspecialties = splitList(form.subspecialties);
    void submit.run(async () => {
      await api.createUser({
        email: form.email.trim(),
        password: form.password,
        displayName: form.displayName.trim(),
        role: form.role,
        ...(isStaff && form.hospitalId ? { hospitalId: form.hospitalId } : {}),
        ...(subspecialties.length ? { subspecialties } : {}),
      });
      setForm(EMPTY);
      onCreated();
      return `User ${form.email.trim()} created.`;
    });
  };

  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-labelledby="new-user">
      <h2 id="new-user">New user</h2>
      <label htmlFor="user-email">Email</label>
      <input id="user-email" name="email" type="email" required autoComplete="off" value={form.email} onChange={set('email')} />
      <label htmlFor="user-password">Password</label>
      <input
        id="user-password"
        name="password"
        type="password"
        required
        autoComplete="new-password"
        minLength={12}
        placeholder="at least 12 characters"
        value={form.password}
        onChange={set('password')}
      />
      <label htmlFor="user-displayName">Display name</label>
      <input id="user-displayName" name="displayName" required autoComplete="off" value={form.displayName} onChange={set('displayName')} />
      <label htmlFor="user-role">Role</label>
      <select id="user-role" name="role" value={form.role} onChange={setRole}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_LABEL[r]} ({r})
          </option>
        ))}
      </select>
      <label htmlFor="user-hospitalId">Hospital</label>
      <select
        id="user-hospitalId"
        name="hospitalId"
        value={form.hospitalId}
        onChange={set('hospitalId')}
        required={isStaff}
        disabled={!isStaff}
      >
        <option value="">{isStaff ? 'Choose the hospital…' : 'None (hospital staff only)'}</option>
        {hospitals.map((h) => (
          <option key={h.id} value={h.id}>
            {h.name}
          </option>
        ))}
      </select>
      <label htmlFor="user-subspecialties">Subspecialties</label>
      <input
        id="user-subspecialties"
        name="subspecialties"
        placeholder="comma separated, e.g. NEURO, CHEST, GENERAL"
        autoComplete="off"
        value={form.subspecialties}
        onChange={set('subspecialties')}
      />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={submit.busy}>
          {submit.busy ? 'Creating…' : 'Create user'}
        </button>
        <FormStatus state={submit} />
      </div>
    </form>
  );
}
