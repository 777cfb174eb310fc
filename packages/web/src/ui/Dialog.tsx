/** A modal dialog over the app, named for assistive technology. */
import type { ReactNode } from 'react';

export function Dialog(props: { label: string; children: ReactNode }) {
  return (
    <div className="modal" role="dialog" aria-label={props.label}>
      <div className="card">{props.children}</div>
    </div>
  );
}
