import t from 'tap'
import { FeedError, parseFeed } from '../../../plugins/feeds/lib/rss.js'

const rss2 = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>Acme &amp; Co newsroom &lt;script&gt;alert(1)&lt;/script&gt;</title>
    <item>
      <title>Tom &amp; Jerry &lt;3 &lt;b&gt;bold&lt;/b&gt; &#8217;s</title>
      <link>/news/1</link>
      <guid isPermaLink="false">acme-1</guid>
      <description><![CDATA[<p>Hello <script>alert('x')</script><img src=x onerror=alert(1)> world &amp; more</p>]]></description>
      <media:thumbnail url="https://cdn.acme.example/1.jpg"/>
    </item>
    <item><title>No usable link</title><link>javascript:alert(1)</link></item>
    <item><title>Guid as permalink</title><guid>https://acme.example/news/3</guid><enclosure url="/img/3.png" type="image/png" length="1"/></item>
    <item><title>Same guid again</title><link>https://acme.example/news/1-copy</link><guid isPermaLink="false">acme-1</guid></item>
  </channel>
</rss>`

t.test('RSS 2.0: links resolved against the feed, guid keys, markup and scripts reduced to plain text', async (t) => {
  const feed = parseFeed(rss2, 'https://acme.example/feed.xml')
  t.equal(feed.title, 'Acme & Co newsroom', 'the channel title without its script')
  t.equal(feed.items.length, 3, 'the item without an http(s) link is left out')
  const [first, third, copy] = feed.items
  t.equal(first.url, 'https://acme.example/news/1')
  t.equal(first.title, 'Tom & Jerry <3 bold ’s', 'tags dropped, entities decoded, a lone < kept as text')
  t.equal(first.summary, 'Hello world & more', 'script content and attributes are gone')
  t.equal(first.imageUrl, 'https://cdn.acme.example/1.jpg')
  t.match(first.key, /^[0-9a-f]{64}$/)
  t.equal(third.url, 'https://acme.example/news/3')
  t.equal(third.imageUrl, 'https://acme.example/img/3.png')
  t.equal(copy.key, first.key, 'the key follows the guid, not the link')
  t.not(third.key, first.key)
})

t.test('RSS 1.0 (RDF) and Atom are read too', async (t) => {
  const rdf = parseFeed(
    `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
      <channel rdf:about="https://r.example/"><title>RDF news</title></channel>
      <item rdf:about="https://r.example/1"><title>First</title><link>https://r.example/1</link><description>One</description></item>
    </rdf:RDF>`,
    'https://r.example/rss'
  )
  t.equal(rdf.title, 'RDF news')
  t.same(rdf.items.map((item) => [item.url, item.title, item.summary]), [['https://r.example/1', 'First', 'One']])

  const atom = parseFeed(
    `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
      <title type="html">An &lt;i&gt;Atom&lt;/i&gt; feed</title>
      <entry>
        <id>urn:uuid:1225c695</id>
        <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Mixed <b>content</b> kept in order</div></title>
        <link rel="enclosure" href="https://a.example/podcast.mp3"/>
        <link rel="alternate" href="/2024/entry"/>
        <summary>Short &amp; sweet</summary>
      </entry>
    </feed>`,
    'https://a.example/atom.xml'
  )
  t.equal(atom.title, 'An Atom feed')
  t.same(atom.items.map((item) => [item.url, item.title, item.summary]), [['https://a.example/2024/entry', 'Mixed content kept in order', 'Short & sweet']])
})

t.test('an item without a title is named from its summary or its site', async (t) => {
  const feed = parseFeed('<rss><channel><title>x</title><item><link>https://s.example/a</link><description>Only a description</description></item><item><link>https://s.example/b</link></item></channel></rss>', 'https://s.example/')
  t.same(feed.items.map((item) => item.title), ['Only a description', 's.example'])
})

t.test('what is not a feed is refused with a reason for the admin', async (t) => {
  const cases: [string, string][] = [
    ['not xml at all', 'notXml'],
    ['<html><body><p>A web page<br></body></html>', 'notXml'],
    ['', 'notXml'],
    ['<?xml version="1.0"?><catalog><book>1</book></catalog>', 'notFeed'],
    ['<rss version="2.0"></rss>', 'notFeed'],
    ['<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><rss><channel><title>&lol2;</title></channel></rss>', 'dtd'],
    ['<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss><channel><title>&xxe;</title></channel></rss>', 'dtd']
  ]
  for (const [xml, reason] of cases) {
    const error = (() => {
      try {
        parseFeed(xml, 'https://x.example/')
      } catch (caught) {
        return caught
      }
    })()
    t.type(error, FeedError, xml.slice(0, 40))
    t.equal((error as FeedError).reason, reason)
    t.equal((error as FeedError).messageKey, `feeds.rss.${reason}`)
  }
})

t.test('long titles and summaries are clipped to the post columns', async (t) => {
  const long = 'word '.repeat(1000)
  const [item] = parseFeed(`<rss><channel><title>x</title><item><title>${long}</title><link>https://l.example/</link><description>${long}</description></item></channel></rss>`, 'https://l.example/').items
  t.ok(item.title.length <= 300)
  t.ok(item.summary!.length <= 2000)
  t.ok(item.title.endsWith('…'))
})

t.test('titles and summaries from a feed lose control characters and bidirectional overrides', async (t) => {
  const feed = parseFeed(
    `<rss version="2.0"><channel><title>News</title><item><title>Invoice &#x202E;fdp.exe&#x202C; &#x85;ready&#x7;</title><link>https://acme.example/a</link><description>שלום &#x2067;world&#x2069; &#x200F;ok</description></item></channel></rss>`,
    'https://acme.example/feed.xml'
  )
  t.equal(feed.items[0].title, 'Invoice fdp.exe …ready', 'shown in the order it reads (&#x85; is an ellipsis to HTML)')
  t.equal(feed.items[0].summary, 'שלום world \u200fok', 'right-to-left text and its marks stay')
})
