"""A citizen's own commune and its local details (issue 15).

- `home`: the commune a citizen lives in, learned once (help request, poster link, or asked
  when a local answer needs it) and shown or changed with `/xa`.
- `blocks`: the local details appended to the answers that content/config.yaml names.
- `form`: `/diaphuong`, the leader's short guided form; `console`: /admin/local.
- `access`: which communes a leader or operator may keep details and help days for.
"""
