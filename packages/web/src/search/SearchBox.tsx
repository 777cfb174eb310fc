/**
 * The search field at the top of the conversation list: searches the messages of
 * every conversation on this device. Escape clears it (and the list comes back).
 */
export function SearchBox({ query, onQuery }: { query: string; onQuery: (q: string) => void }) {
  return (
    <div className="searchbox" role="search" aria-label="Chats">
      <input
        type="search"
        aria-label="Search chats"
        placeholder="Search chats"
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && query) {
            e.preventDefault();
            onQuery('');
          }
        }}
      />
    </div>
  );
}
