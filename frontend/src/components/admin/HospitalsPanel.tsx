'use client';

import { Fragment, useState, type FormEvent } from 'react';
import { ApiErrorView } from '@/components/ApiErrorView';
import { api } from '@/lib/api';
import { joinOrDash } from '@/lib/format';
import type { ApiResource } from '@/lib/hooks';
import type { Hospital } from '@/lib/types';
import { FormStatus, splitList, useSubmit } from './forms';
import { assignmentSummary, HospitalSettingsForm } from './HospitalSettings';

export function HospitalsPanel({ hospitals }: { hospitals: ApiResource<Hospital[]> }) {
  const { data, error, reload } = hospitals;
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <>
      <CreateHospitalForm onCreated={reload} />
      <ApiErrorView error={error} onRetry={reload} />
      {data && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Jurisdiction</th>
                <th>Time zone</th>
                <th>AE titles</th>
                <th className="num">STAT TAT</th>
                <th className="num">Urgent TAT</th>
                <th className="num">Routine TAT</th>
                <th>Assignment</th>
                <th className="actions-col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((h) => (
                <Fragment key={h.id}>
                  <tr data-testid="hospital-row" data-id={h.id}>
                    <td className="strong">{h.name}</td>
                    <td>{h.jurisdiction}</td>
                    <td>{h.timezone}</td>
                    <td className="mono">{joinOrDash(h.aeTitles)}</td>
                    <td className="num">{h.slaStatMinutes} min</td>
                    <td className="num">{h.slaUrgentMinutes} min</td>
                    <td className="num">{h.slaRoutineMinutes} min</td>
                    <td className="small">{assignmentSummary(h)}</td>
                    <td className="actions-col">
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-expanded={editing === h.id}
                        data-testid="hospital-settings-open"
                        onClick={() => setEditing(editing === h.id ? null : h.id)}
                      >
                        Settings
                      </button>
                    </td>
                  </tr>
                  {editing === h.id && (
                    <tr>
                      <td colSpan={9}>
                        <HospitalSettingsForm hospital={h} onSaved={reload} onCancel={() => setEditing(null)} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
          {data.length === 0 && <p className="empty">No hospitals yet.</p>}
        </div>
      )}
    </>
  );
}

function CreateHospitalForm({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ name: '', jurisdiction: '', timezone: '', aeTitles: '' });
  const submit = useSubmit();

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const aeTitles = splitList(form.aeTitles);
    void submit.run(async () => {
      const created = await api.createHospital({
        name: form.name.trim(),
        jurisdiction: form.jurisdiction.trim(),
        timezone: form.timezone.trim(),
        ...(aeTitles.length ? { aeTitles } : {}),
      });
      setForm({ name: '', jurisdiction: '', timezone: '', aeTitles: '' });
      onCreated();
      return `Hospital “${created.name ?? form.name}” created.`;
    });
  };
  const field = (k: keyof typeof form) => ({
    id: `hospital-${k}`,
    name: k,
    value: form[k],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value })),
  });

  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-labelledby="new-hospital">
      <h2 id="new-hospital">New hospital</h2>
      <label htmlFor="hospital-name">Name</label>
      <input {...field('name')} required autoComplete="off" />
      <label htmlFor="hospital-jurisdiction">Jurisdiction</label>
      <input {...field('jurisdiction')} required placeholder="e.g. TX (US state)" autoComplete="off" />
      <label htmlFor="hospital-timezone">Time zone</label>
      <input {...field('timezone')} required placeholder="IANA zone, e.g. America/Chicago" autoComplete="off" />
      <label htmlFor="hospital-aeTitles">AE titles</label>
      <input {...field('aeTitles')} placeholder="comma separated, e.g. CT01, MR_WEST" autoComplete="off" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={submit.busy}>
          {submit.busy ? 'Creating…' : 'Create hospital'}
        </button>
        <FormStatus state={submit} />
      </div>
    </form>
  );
}
