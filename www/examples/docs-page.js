// Self-sizing iframes (docs/embed.md): embed.html posts its content height; the iframe it came from takes it.
addEventListener('message', (e) => {
  const frame = [...document.querySelectorAll('iframe')].find((f) => f.contentWindow === e.source);
  if (frame && e.data?.type === 'kafka-playground:height') frame.style.height = `${e.data.height}px`;
});
