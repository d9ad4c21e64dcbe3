// A small Express app, written as any Express app is: nothing in it knows about Switchboard.
import express from 'express';

const app = express();
app.set('trust proxy', 'loopback');
app.use(express.json());

const notes = new Map([[1, { id: 1, text: 'buy milk' }]]);
let nextId = 2;

app.get('/', (req, res) => res.send(`Hello, ${req.ip}\n`));

app.get('/notes', (req, res) => res.json([...notes.values()]));

app.get('/notes/:id', (req, res) => {
  const note = notes.get(Number(req.params.id));
  if (note === undefined) return res.status(404).json({ error: 'no such note' });
  res.json(note);
});

app.post('/notes', (req, res) => {
  if (typeof req.body?.text !== 'string') return res.status(400).json({ error: 'text is required' });
  const note = { id: nextId++, text: req.body.text };
  notes.set(note.id, note);
  res.status(201).location(`/notes/${note.id}`).json(note);
});

export default app;
