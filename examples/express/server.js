// How the app ran before Switchboard, and still can: `node server.js`.
import app from './app.js';

const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`listening on http://127.0.0.1:${port}`));
