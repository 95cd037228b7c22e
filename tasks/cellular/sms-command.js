// SMS commands: "STATUS" is answered by SMS (a long answer, sent as a concatenated message).
export default async function run(instance) {
  const m = instance.triggerDetails;
  instance.log.info(`SMS from ${m.from} at ${m.timestamp}: ${JSON.stringify(m.text)}`);
  if (m.text?.trim().toUpperCase() !== 'STATUS') return;
  const reply = `vigil is up. Work cost ${instance.workCost}. This answer is deliberately longer than 160 characters, so that it needs more than one SMS: the modem sends it in two parts and the phone shows them as one message.`;
  const sent = await instance.call('sms.send', m.from, reply);
  instance.log.info(`answered ${m.from} in ${sent.parts} parts (references ${sent.references.join(', ')})`);
}
