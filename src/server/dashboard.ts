/**
 * The desk dashboard served by `keel start`: one static page that polls the JSON endpoints every
 * second (firm risk, feeds, accounts, positions, decisions with reasons, alerts) and can send a
 * manual pre-trade check. No build step, no external assets (the network is closed).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Keel risk</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:13px/1.35 system-ui,sans-serif;margin:0;background:#0f1419;color:#d9e1e8}
 header{display:flex;gap:24px;align-items:baseline;padding:10px 16px;background:#16202a;border-bottom:1px solid #243240}
 header h1{font-size:16px;margin:0;letter-spacing:.04em}
 .kpi{display:flex;gap:18px;flex-wrap:wrap}.kpi div span{display:block;font-size:11px;color:#8aa0b4}
 main{display:grid;grid-template-columns:1fr 1fr;gap:12px;padding:12px}
 section{background:#16202a;border:1px solid #243240;border-radius:6px;padding:8px 10px;overflow:auto;max-height:46vh}
 section.wide{grid-column:1/-1}
 h2{font-size:12px;text-transform:uppercase;color:#8aa0b4;margin:2px 0 6px}
 table{border-collapse:collapse;width:100%}th,td{padding:2px 6px;text-align:right;white-space:nowrap}
 th{color:#8aa0b4;font-weight:500;border-bottom:1px solid #243240}td:first-child,th:first-child{text-align:left}
 .ok{color:#4cc38a}.bad{color:#ff6b6b}.warn{color:#f5c451}.muted{color:#6b7f92}
 form{display:flex;gap:6px;flex-wrap:wrap;margin-top:6px}input,select,button{background:#0f1419;color:#d9e1e8;border:1px solid #243240;border-radius:4px;padding:3px 6px}
 code{color:#9ecbff}
</style></head><body>
<header><h1>KEEL</h1><div class="kpi" id="kpi"></div><div class="muted" id="clock"></div></header>
<main>
 <section><h2>Feeds</h2><table id="feeds"></table></section>
 <section><h2>Strategies and accounts</h2><table id="nodes"></table></section>
 <section class="wide"><h2>Positions</h2><table id="positions"></table></section>
 <section><h2>Decisions</h2><table id="decisions"></table>
  <form id="check"><input name="account" placeholder="account" value="binance-basis" size="12">
   <input name="instrument" placeholder="instrument" value="binance:BTC/USDT:USDT" size="20">
   <select name="side"><option>buy</option><option>sell</option></select>
   <input name="qty" placeholder="qty" value="0.1" size="6"><input name="price" placeholder="price (empty = market)" size="10">
   <button>check</button><span id="checkResult"></span></form></section>
 <section><h2>Alerts and audit</h2><table id="alerts"></table></section>
</main>
<script>
const fmt=(x,d=0)=>x==null?'':Number(x).toLocaleString('en-US',{maximumFractionDigits:d,minimumFractionDigits:d});
const cls=(s)=>s==='ACTIVE'||s==='ok'?'ok':s==='HALTED'||s==='disconnected'||s==='stale'||s==='resyncing'?'bad':'warn';
const esc=(s)=>String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
const row=(cells,tag='td')=>'<tr>'+cells.map(c=>'<'+tag+'>'+c+'</'+tag+'>').join('')+'</tr>';
async function get(p){const r=await fetch(p);return r.json();}
async function refresh(){
 try{
  const [s,f,d,a]=await Promise.all([get('/v1/state'),get('/v1/feeds'),get('/v1/decisions'),get('/v1/alerts')]);
  const firm=s.firm;
  document.getElementById('kpi').innerHTML=[['state','<b class="'+cls(firm.state)+'">'+firm.state+'</b>'],['equity',fmt(firm.equity)],['daily P&L','<span class="'+(firm.dailyPnl<0?'bad':'ok')+'">'+fmt(firm.dailyPnl)+'</span>'],['drawdown',fmt(firm.drawdown)],['VaR',fmt(firm.var)],['ES',fmt(firm.es)],['gross',fmt(firm.grossNotional)],['net',fmt(firm.netNotional)],['open orders',fmt(firm.openOrderGross)]].map(([k,v])=>'<div><span>'+k+'</span>'+v+'</div>').join('');
  document.getElementById('clock').textContent=new Date(s.ts).toISOString();
  document.getElementById('feeds').innerHTML=row(['feed','status','msgs','reconnects','last data (s)'],'th')+f.map(x=>row([esc(x.feed),'<span class="'+cls(x.status)+'">'+esc(x.status)+'</span>',fmt(x.messages),fmt(x.reconnects),x.lastDataAt?fmt((Date.now()-x.lastDataAt)/1000,1):''])).join('');
  const nodes=[...s.strategies,...s.accounts];
  document.getElementById('nodes').innerHTML=row(['id','state','equity','daily P&L','gross','net','VaR','margin'],'th')+nodes.map(n=>row([(n.kind==='account'?'&nbsp;&nbsp;':'')+esc(n.id),'<span class="'+cls(n.state)+'">'+n.state+'</span>',fmt(n.equity),fmt(n.dailyPnl),fmt(n.grossNotional),fmt(n.netNotional),fmt(n.var),fmt(n.initialMargin)])).join('');
  const pos=s.accounts.flatMap(acc=>acc.positions.map(p=>[esc(acc.id),esc(p.instrument),esc(p.qty),esc(p.avgEntry??''),esc(p.mark??''),esc(p.unrealized??''),fmt(p.notional),fmt(p.componentVar)]));
  document.getElementById('positions').innerHTML=row(['account','instrument','qty','avg entry','mark','unrealized','notional','component VaR'],'th')+pos.map(p=>row(p)).join('');
  document.getElementById('decisions').innerHTML=row(['time','order','account','result'],'th')+d.slice(-30).reverse().map(x=>row([new Date(x.ts).toISOString().slice(11,23),esc(x.clOrdId),esc(x.account),x.approved?'<span class="ok">approved</span>':'<span class="bad">'+x.reasons.map(r=>esc(r.code)+(r.utilization!=null?' ('+fmt(r.utilization*100,1)+'%)':'')).join(', ')+'</span>'])).join('');
  document.getElementById('alerts').innerHTML=row(['time','what','target','message'],'th')+a.slice(-30).reverse().map(x=>row([new Date(x.ts).toISOString().slice(11,23),x.type==='alert'?'<span class="'+(x.severity==='critical'?'bad':x.severity==='warning'?'warn':'muted')+'">'+esc(x.code)+'</span>':'audit '+esc(x.subject),esc(x.target),esc(x.message??(x.actor+': '+x.before+' -> '+x.after+' ('+x.reason+')'))])).join('');
 }catch(e){document.getElementById('clock').textContent='disconnected: '+e;}
}
document.getElementById('check').addEventListener('submit',async(ev)=>{ev.preventDefault();
 const f=new FormData(ev.target);const price=f.get('price');
 const order={clOrdId:'ui-'+Date.now(),account:f.get('account'),instrument:f.get('instrument'),side:f.get('side'),type:price?'limit':'market',qty:f.get('qty')};if(price)order.price=price;
 const r=await fetch('/v1/check',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(order)});const d=await r.json();
 document.getElementById('checkResult').innerHTML=d.approved?'<span class="ok">approved</span>':'<span class="bad">'+(d.reasons||[]).map(x=>esc(x.code)).join(', ')+'</span>';refresh();});
refresh();setInterval(refresh,1000);
</script></body></html>`;
