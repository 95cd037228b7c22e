// The active filter sees each message before the other tasks; a blocked one reaches nobody.
export default async function run(instance) {
  const m = instance.triggerDetails;
  if (/\b(win|won)\b.*\bprize\b/i.test(m.text ?? '')) {
    await instance.call('sms.block', m.messageId);
    instance.log.info(`blocked a prize scam from ${m.from}`);
  }
}
