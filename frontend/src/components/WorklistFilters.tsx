'use client';

import type { Ref } from 'react';
import {
  hasFilters,
  NO_FILTERS,
  SORTS,
  STATES,
  WORKLIST_SUBSPECIALTIES,
  PRIORITIES,
  type WorklistFilters,
} from '@/lib/worklist-query';

interface Props {
  filters: WorklistFilters;
  hospitals: readonly { id: string; name: string }[];
  modalities: readonly string[];
  /** "Mine" only means something to someone who claims cases. */
  showMine: boolean;
  onChange: (next: WorklistFilters) => void;
  firstFieldRef?: Ref<HTMLSelectElement>;
}

interface Option<T extends string> {
  value: T;
  label: string;
}

/** One labelled select; `anyLabel` is the empty choice (no filter), absent where a value is required. */
function FilterSelect<T extends string>(props: {
  label: string;
  name: string;
  value: T | undefined;
  options: readonly Option<T>[];
  anyLabel?: string;
  onChange: (value: T | undefined) => void;
  selectRef?: Ref<HTMLSelectElement>;
}) {
  const { label, name, value, options, anyLabel, onChange, selectRef } = props;
  return (
    <label>
      <span>{label}</span>
      <select ref={selectRef} name={name} value={value ?? ''} onChange={(e) => onChange((e.target.value || undefined) as T | undefined)}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

const PRIORITY_OPTIONS = PRIORITIES.map((p) => ({ value: p, label: p }));

/** Compact filter bar; every change goes to the URL (the page reads it back). */
export function WorklistFilterBar({ filters, hospitals, modalities, showMine, onChange, firstFieldRef }: Props) {
  const set = (patch: Partial<WorklistFilters>) => onChange({ ...filters, ...patch, page: 1 });
  const hospitalOptions = hospitals.map((h) => ({ value: h.id, label: h.name }));
  // A deep link may name a hospital none of the loaded cases come from.
  if (filters.hospitalId && !hospitals.some((h) => h.id === filters.hospitalId)) {
    hospitalOptions.unshift({ value: filters.hospitalId, label: 'Selected hospital' });
  }
  return (
    <form className="filter-bar" role="search" aria-label="Filter the worklist" onSubmit={(e) => e.preventDefault()}>
      <FilterSelect
        label="Hospital"
        name="hospitalId"
        value={filters.hospitalId}
        options={hospitalOptions}
        anyLabel="All hospitals"
        onChange={(hospitalId) => set({ hospitalId })}
        selectRef={firstFieldRef}
      />
      <FilterSelect
        label="Modality"
        name="modality"
        value={filters.modality}
        options={modalities.map((m) => ({ value: m, label: m }))}
        anyLabel="All"
        onChange={(modality) => set({ modality })}
      />
      <FilterSelect label="Priority" name="priority" value={filters.priority} options={PRIORITY_OPTIONS} anyLabel="All" onChange={(priority) => set({ priority })} />
      <FilterSelect
        label="Subspecialty"
        name="subspecialty"
        value={filters.subspecialty}
        options={WORKLIST_SUBSPECIALTIES}
        anyLabel="All"
        onChange={(subspecialty) => set({ subspecialty })}
      />
      <FilterSelect label="State" name="state" value={filters.state} options={STATES} anyLabel="Open cases" onChange={(state) => set({ state })} />
      <FilterSelect label="Sort" name="sort" value={filters.sort} options={SORTS} onChange={(sort) => set({ sort: sort ?? 'urgency' })} />
      {showMine && (
        <label className="filter-check">
          <input type="checkbox" name="mine" checked={filters.mine} onChange={(e) => set({ mine: e.target.checked })} />
          <span>Mine only</span>
        </label>
      )}
      {hasFilters(filters) && (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange({ ...NO_FILTERS, sort: filters.sort })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
