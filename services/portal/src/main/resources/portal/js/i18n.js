// English and Japanese. The language comes from the browser (navigator.languages) unless the user
// picked one with the switch; that choice (only the language, nothing else) is kept in localStorage.
const KEY = 'kasoku.portal.lang';

const EN = {
  'loading': 'Loading…',
  'nav.account': 'Account',
  'account.contract': 'Contract', 'account.tenant': 'Tenant', 'account.plan': 'Plan (service code)',
  'account.features': 'Enabled features', 'account.noFeatures': 'none beyond the plan', 'account.since': 'Customer since',
  'account.whereData': 'Where your data is kept', 'account.region': 'Region:', 'account.noRegion': 'not labelled by this deployment',
  'account.data': 'Data', 'account.storage': 'Kept in',
  'account.data.account': 'Account, users and API keys', 'account.data.config': 'Site configuration and certificates',
  'account.data.stats': 'Traffic statistics', 'account.data.audit': 'Audit trail',
  'account.data.accessLogs': 'Access logs', 'account.data.cachedObjects': 'Cached copies of your content',
  'account.storage.embedded': 'the platform’s store on the node (disk, in the region above)',
  'account.storage.redis': 'the platform’s Redis store (in the region above)',
  'account.storage.log-volumes': 'the logging instances’ disks (in the region above)',
  'account.storage.edge-memory': 'the edge servers’ memory only (never written to disk)',
  'account.docs': 'Service documents', 'account.docsNote': 'The documents of the service as deployed (bundled with this version; in English).',
  'account.noDoc': 'There is no such document.',
  'account.changePassword': 'Change your password', 'account.currentPassword': 'Current password',
  'account.newPassword': 'New password', 'account.repeatPassword': 'New password again',
  'account.passwordNote': 'Changing it ends your other sessions and logins everywhere; this one stays logged in.',
  'account.mismatch': 'The two new passwords differ.', 'account.passwordChanged': 'Your password was changed. Your other sessions have ended.',
  'doc.portal.md': 'The portal', 'doc.quickstart-auth.md': 'Users, logins and API keys', 'doc.quickstart-config.md': 'Configuring sites',
  'doc.caching.md': 'Caching', 'doc.log-sinks.md': 'Log shipping', 'doc.audit.md': 'Audit trail',
  'doc.security-controls.md': 'Security controls (ISO/IEC 27017)', 'doc.architecture.md': 'Architecture and where data lives',
  'doc.operations.md': 'Operations', 'doc.performance.md': 'Performance',
  'sites.diff': 'Compare versions', 'sites.diffFrom': 'From version', 'sites.diffTo': 'To version', 'sites.diffShow': 'Compare',
  'sites.diffSame': 'The two versions are the same.', 'sites.diffSummary': '{0} lines removed, {1} added',
  'sites.hostnamesCard': 'Hostnames', 'sites.covered': 'covered by the certificate', 'sites.notCovered': 'not covered by the certificate',
  'sites.noCert': 'No certificate: these hostnames are served over HTTP; over HTTPS clients get the edge’s placeholder certificate, which no browser trusts. Upload one to serve HTTPS.',
  'sites.addHostname': 'Add hostname', 'sites.newHostname': 'New hostname', 'sites.removeHostname': 'Remove {0}',
  'sites.certUpload': 'Upload a certificate', 'sites.certPem': 'Certificate chain (PEM, leaf first)', 'sites.keyPem': 'Private key (PEM, unencrypted)',
  'sites.certHint': 'The key is stored encrypted and never shown again. The certificate must cover every hostname.',
  'sites.uploadCert': 'Upload', 'sites.subject': 'Subject', 'sites.issuer': 'Issuer', 'sites.sans': 'Names',
  'sites.validFrom': 'Valid from', 'sites.expiresLabel': 'Expires', 'sites.certExpires': 'Certificate expires', 'sites.fingerprint': 'SHA-256', 'sites.expiresIn': 'expires in {0} days', 'sites.expired': 'expired',
  'sites.certReplaceNote': 'A site with a certificate changes only with its certificate and key: upload them again below to change it here.',
  'dash.topSites': 'Top sites this month', 'dash.share': 'Share of requests', 'dash.noTraffic': 'No traffic this month yet.',
  'skip': 'Skip to content', 'language': 'Language', 'logout': 'Log out',
  'error.unexpected': 'Something went wrong:',
  'error.network': 'The portal could not reach the API. Check your connection and retry.',
  'error.unavailable': 'The service is temporarily unavailable (503): your settings and data are safe, but they cannot be read or changed right now. Please retry in a moment.',
  'error.unavailableTitle': 'Temporarily unavailable.', 'error.retry': 'Retry',
  'error.forbidden': 'Refused (403):',
  'error.role': 'This page needs the {0} role. Ask an administrator of your tenant.',
  'login.title': 'Log in to Kasoku', 'login.tenant': 'Tenant', 'login.username': 'Username', 'login.password': 'Password',
  'login.submit': 'Log in', 'login.checking': 'Checking…',
  'login.locked': 'Login is locked for now:', 'login.refused': 'Login refused:', 'login.invalid': 'Check the form:',
  'login.expired': 'Your session ended. Please log in again.', 'login.loggedOut': 'You are logged out.',
  'nav.dashboard': 'Dashboard', 'nav.sites': 'Sites', 'nav.purge': 'Purge', 'nav.logs': 'Logs', 'nav.admin': 'Admin',
  'nav.audit': 'Audit trail', 'nav.notifications': 'Notifications',
  'role.admin': 'admin', 'role.editor': 'editor', 'role.purger': 'purger', 'role.viewer': 'viewer',
  'range.live': 'Live', 'range.15m': '15 min', 'range.1h': '1 h', 'range.24h': '24 h', 'range.7d': '7 days', 'range.30d': '30 days',
  'dash.range': 'Range', 'dash.site': 'Site', 'dash.allSites': 'All sites', 'dash.window': 'From', 'dash.liveNote': 'updated every second',
  'dash.requests': 'Requests', 'dash.rps': 'Requests/s', 'dash.bytes': 'Bytes sent', 'dash.hitRatio': 'Hit ratio',
  'dash.offload': 'Origin offload', 'dash.originRequests': 'Origin requests', 'dash.status': 'Status {0}',
  'dash.latency': 'Edge latency {0} (latest)', 'dash.bandwidth': 'Bandwidth', 'dash.toClients': 'To clients',
  'dash.fromOrigin': 'From origin', 'dash.cacheEffect': 'Cache effect (%)', 'dash.statusClasses': 'Status classes',
  'dash.latencyChart': 'Edge latency (ms)', 'dash.originP95': 'origin p95', 'dash.usage': 'This month\u2019s usage',
  'dash.month': 'Month {0} (UTC)', 'dash.total': 'Total', 'dash.originBytes': 'Origin bytes',
  'sites.none': 'No sites yet.', 'sites.id': 'Site', 'sites.hostnames': 'Hostnames', 'sites.version': 'Version',
  'sites.author': 'Author', 'sites.updated': 'Stored', 'sites.newId': 'New site id', 'sites.create': 'Create',
  'sites.site': 'Site', 'sites.origins': 'Origins (URLs)', 'sites.defaultTtl': 'Default TTL',
  'sites.durationHint': 'e.g. 90s, 10m, 1h, 7d', 'sites.swr': 'Stale while revalidate', 'sites.sie': 'Stale if error',
  'sites.honor': 'Honour the origin\u2019s Cache-Control', 'sites.onePerLine': 'One per line',
  'sites.common': 'Common settings', 'sites.save': 'Save', 'sites.json': 'Full configuration (JSON)',
  'sites.saveJson': 'Save JSON', 'sites.badJson': 'This is not valid JSON:', 'sites.saved': 'Saved as version {0}.',
  'sites.current': 'current', 'sites.restore': 'Restore version {0}', 'sites.versions': 'Versions',
  'sites.currentVersion': 'Version {0}', 'sites.creating': 'New site: not stored yet.',
  'sites.readOnly': 'Your role can view this site but not change it.', 'sites.certificate': 'Certificate',
  'sites.expires': 'expires', 'sites.tlsNote': 'This site has a certificate. Its private key is never shown, so the portal cannot save this site without dropping it: change it with the API (PUT with the certificate and key).',
  'purge.scope': 'What to purge', 'purge.urls': 'URLs', 'purge.prefixes': 'URL prefixes', 'purge.tags': 'Tags',
  'purge.hosts': 'Hostnames', 'purge.all': 'Everything', 'purge.values': 'Values',
  'purge.valuesHint': 'One per line: absolute URLs (https://www.example.com/a.css), tags or hostnames.',
  'purge.soft': 'Soft purge (mark stale and revalidate instead of removing)', 'purge.submit': 'Purge',
  'purge.empty': 'Enter at least one value.', 'purge.id': 'Purge', 'purge.status.pending': 'in progress',
  'purge.status.done': 'done on every edge', 'purge.status.partial': 'partial',
  'purge.edges': '{1} of {0} edges applied it', 'purge.missing': 'not acknowledged by', 'purge.took': 'took {0} ms',
  'purge.recent': 'Recent purges', 'purge.recentNote': 'The purges made from this page since it was opened (the API does not list past purges).',
  'purge.accepted': 'Accepted', 'purge.mode': 'Mode', 'purge.state': 'Status', 'purge.softShort': 'soft', 'purge.hardShort': 'hard',
  'logs.window': 'Period', 'logs.site': 'Site', 'logs.status': 'Status codes', 'logs.cache': 'Cache status',
  'logs.show': 'Show', 'logs.download': 'Download these lines:', 'logs.combined': 'combined format',
  'logs.count': '{0} lines in the period; the newest {1} shown.', 'logs.none': 'No access-log lines in this period.',
  'logs.ts': 'Time', 'logs.method': 'Method', 'logs.host': 'Host', 'logs.path': 'Path', 'logs.bytes': 'Bytes',
  'logs.ms': 'ms', 'logs.ua': 'User agent', 'logs.sinks': 'Log sinks',
  'logs.sinksUnavailable': 'Log sinks are not available from this deployment yet (the API does not serve them).',
  'admin.users': 'Users', 'admin.keys': 'API keys', 'admin.allowlist': 'IP allow-list', 'admin.username': 'Username',
  'admin.password': 'Password', 'admin.passwordHint': 'At least 12 characters, not a common password.',
  'admin.role': 'Role', 'admin.roleOf': 'Role of {0}', 'admin.created': 'Created', 'admin.addUser': 'Add user',
  'admin.delete': 'Delete', 'admin.deleteUser': 'Delete user {0}', 'admin.keyName': 'Name', 'admin.keyPrefix': 'Starts with',
  'admin.addKey': 'Create key', 'admin.revoke': 'Revoke', 'admin.revokeKey': 'Revoke key {0}',
  'admin.keyOnce': 'The new key, shown only now: copy it to a safe place. It cannot be shown again.',
  'admin.cidrs': 'Allowed networks (CIDR)', 'admin.cidrsHint': 'One per line; empty allows every address.',
  'admin.guard': 'The API refuses a list that would lock out the address you are calling from.',
  'admin.saveAllowlist': 'Save allow-list', 'admin.saved': 'Saved.',
  'audit.verification': 'Verification', 'audit.records': 'Records (last 30 days)', 'audit.intact': 'chain intact',
  'audit.broken': 'chain broken', 'audit.checked': '{0} records checked', 'audit.firstBad': 'first bad record',
  'audit.head': 'Head hash', 'audit.shown': 'Newest {0} of {1} records.', 'audit.seq': '#', 'audit.ts': 'Time',
  'audit.actor': 'Actor', 'audit.action': 'Action', 'audit.target': 'Target', 'audit.source': 'Source', 'audit.outcome': 'Outcome',
  'notifications.none': 'No notifications.', 'notifications.ts': 'Time', 'notifications.kind': 'Kind', 'notifications.message': 'Message',
};

const JA = {
  'loading': '読み込み中…',
  'nav.account': 'アカウント',
  'account.contract': '契約', 'account.tenant': 'テナント', 'account.plan': 'プラン (サービスコード)',
  'account.features': '有効な機能', 'account.noFeatures': 'プラン以外にはなし', 'account.since': '利用開始',
  'account.whereData': 'データの保管場所', 'account.region': 'リージョン:', 'account.noRegion': 'このデプロイメントではラベル未設定',
  'account.data': 'データ', 'account.storage': '保管先',
  'account.data.account': 'アカウント、ユーザー、API キー', 'account.data.config': 'サイト設定と証明書',
  'account.data.stats': 'トラフィック統計', 'account.data.audit': '監査証跡',
  'account.data.accessLogs': 'アクセスログ', 'account.data.cachedObjects': 'コンテンツのキャッシュ',
  'account.storage.embedded': 'ノード上のプラットフォームのストア (ディスク、上記リージョン内)',
  'account.storage.redis': 'プラットフォームの Redis ストア (上記リージョン内)',
  'account.storage.log-volumes': 'ログ処理インスタンスのディスク (上記リージョン内)',
  'account.storage.edge-memory': 'エッジサーバーのメモリのみ (ディスクには書き込まれません)',
  'account.docs': 'サービス文書', 'account.docsNote': 'デプロイされているサービスの文書です (このバージョンに同梱、英語)。',
  'account.noDoc': 'その文書はありません。',
  'account.changePassword': 'パスワードの変更', 'account.currentPassword': '現在のパスワード',
  'account.newPassword': '新しいパスワード', 'account.repeatPassword': '新しいパスワード (確認)',
  'account.passwordNote': '変更すると、他のセッションとログインはすべて終了します。このセッションはログインしたままです。',
  'account.mismatch': '新しいパスワードが一致しません。', 'account.passwordChanged': 'パスワードを変更しました。他のセッションは終了しました。',
  'doc.portal.md': 'ポータル', 'doc.quickstart-auth.md': 'ユーザー、ログイン、API キー', 'doc.quickstart-config.md': 'サイトの設定',
  'doc.caching.md': 'キャッシュ', 'doc.log-sinks.md': 'ログの転送', 'doc.audit.md': '監査証跡',
  'doc.security-controls.md': 'セキュリティ管理策 (ISO/IEC 27017)', 'doc.architecture.md': 'アーキテクチャとデータの保管場所',
  'doc.operations.md': '運用', 'doc.performance.md': '性能',
  'sites.diff': 'バージョンの比較', 'sites.diffFrom': '比較元', 'sites.diffTo': '比較先', 'sites.diffShow': '比較',
  'sites.diffSame': '2 つのバージョンは同じです。', 'sites.diffSummary': '{0} 行削除、{1} 行追加',
  'sites.hostnamesCard': 'ホスト名', 'sites.covered': '証明書の対象', 'sites.notCovered': '証明書の対象外',
  'sites.noCert': '証明書なし: これらのホスト名は HTTP で配信されます。HTTPS ではエッジの仮の証明書が使われ、ブラウザーは信頼しません。HTTPS で配信するには証明書をアップロードしてください。',
  'sites.addHostname': 'ホスト名を追加', 'sites.newHostname': '新しいホスト名', 'sites.removeHostname': '{0} を削除',
  'sites.certUpload': '証明書のアップロード', 'sites.certPem': '証明書チェーン (PEM、リーフ証明書を先頭に)', 'sites.keyPem': '秘密鍵 (PEM、暗号化なし)',
  'sites.certHint': '鍵は暗号化して保存され、二度と表示されません。証明書はすべてのホスト名を対象にする必要があります。',
  'sites.uploadCert': 'アップロード', 'sites.subject': 'サブジェクト', 'sites.issuer': '発行者', 'sites.sans': '名前',
  'sites.validFrom': '有効期間の開始', 'sites.expiresLabel': '有効期限', 'sites.certExpires': '証明書の有効期限', 'sites.fingerprint': 'SHA-256', 'sites.expiresIn': 'あと {0} 日で期限切れ', 'sites.expired': '期限切れ',
  'sites.certReplaceNote': '証明書のあるサイトは証明書と鍵とともにのみ変更できます。ここで変更するには、下で証明書と鍵を再度アップロードしてください。',
  'dash.topSites': '今月の上位サイト', 'dash.share': 'リクエストの割合', 'dash.noTraffic': '今月のトラフィックはまだありません。',
  'skip': '本文へスキップ', 'language': '言語', 'logout': 'ログアウト',
  'error.unexpected': '問題が発生しました:',
  'error.network': 'API に接続できませんでした。接続を確認して再試行してください。',
  'error.unavailable': 'サービスは一時的に利用できません (503)。設定とデータは失われていませんが、現在は読み込みも変更もできません。しばらくしてから再試行してください。',
  'error.unavailableTitle': '一時的に利用できません。', 'error.retry': '再試行',
  'error.forbidden': '拒否されました (403):',
  'error.role': 'このページには {0} ロールが必要です。テナントの管理者に依頼してください。',
  'login.title': 'Kasoku にログイン', 'login.tenant': 'テナント', 'login.username': 'ユーザー名', 'login.password': 'パスワード',
  'login.submit': 'ログイン', 'login.checking': '確認中…',
  'login.locked': 'ログインは現在ロックされています:', 'login.refused': 'ログインが拒否されました:', 'login.invalid': '入力を確認してください:',
  'login.expired': 'セッションが終了しました。もう一度ログインしてください。', 'login.loggedOut': 'ログアウトしました。',
  'nav.dashboard': 'ダッシュボード', 'nav.sites': 'サイト', 'nav.purge': 'パージ', 'nav.logs': 'ログ', 'nav.admin': '管理',
  'nav.audit': '監査証跡', 'nav.notifications': 'お知らせ',
  'role.admin': '管理者', 'role.editor': '編集者', 'role.purger': 'パージ担当', 'role.viewer': '閲覧者',
  'range.live': 'ライブ', 'range.15m': '15 分', 'range.1h': '1 時間', 'range.24h': '24 時間', 'range.7d': '7 日', 'range.30d': '30 日',
  'dash.range': '期間', 'dash.site': 'サイト', 'dash.allSites': 'すべてのサイト', 'dash.window': '範囲', 'dash.liveNote': '毎秒更新',
  'dash.requests': 'リクエスト数', 'dash.rps': 'リクエスト/秒', 'dash.bytes': '送信バイト数', 'dash.hitRatio': 'ヒット率',
  'dash.offload': 'オリジンオフロード率', 'dash.originRequests': 'オリジンへのリクエスト', 'dash.status': 'ステータス {0}',
  'dash.latency': 'エッジ遅延 {0} (最新)', 'dash.bandwidth': '帯域', 'dash.toClients': 'クライアントへ',
  'dash.fromOrigin': 'オリジンから', 'dash.cacheEffect': 'キャッシュ効果 (%)', 'dash.statusClasses': 'ステータス区分',
  'dash.latencyChart': 'エッジ遅延 (ms)', 'dash.originP95': 'オリジン p95', 'dash.usage': '今月の利用量',
  'dash.month': '{0} (UTC)', 'dash.total': '合計', 'dash.originBytes': 'オリジンのバイト数',
  'sites.none': 'サイトはまだありません。', 'sites.id': 'サイト', 'sites.hostnames': 'ホスト名', 'sites.version': 'バージョン',
  'sites.author': '作成者', 'sites.updated': '保存日時', 'sites.newId': '新しいサイト ID', 'sites.create': '作成',
  'sites.site': 'サイト', 'sites.origins': 'オリジン (URL)', 'sites.defaultTtl': '既定の TTL',
  'sites.durationHint': '例: 90s, 10m, 1h, 7d', 'sites.swr': 'stale-while-revalidate', 'sites.sie': 'stale-if-error',
  'sites.honor': 'オリジンの Cache-Control に従う', 'sites.onePerLine': '1 行に 1 つ',
  'sites.common': '基本設定', 'sites.save': '保存', 'sites.json': '全設定 (JSON)',
  'sites.saveJson': 'JSON を保存', 'sites.badJson': 'JSON として正しくありません:', 'sites.saved': 'バージョン {0} として保存しました。',
  'sites.current': '現在', 'sites.restore': 'バージョン {0} に戻す', 'sites.versions': 'バージョン履歴',
  'sites.currentVersion': 'バージョン {0}', 'sites.creating': '新しいサイト: まだ保存されていません。',
  'sites.readOnly': 'あなたのロールではこのサイトを閲覧できますが、変更はできません。', 'sites.certificate': '証明書',
  'sites.expires': '有効期限', 'sites.tlsNote': 'このサイトには証明書があります。秘密鍵は表示されないため、ポータルからは証明書を失わずに保存できません。API (証明書と鍵を含む PUT) で変更してください。',
  'purge.scope': 'パージ対象', 'purge.urls': 'URL', 'purge.prefixes': 'URL プレフィックス', 'purge.tags': 'タグ',
  'purge.hosts': 'ホスト名', 'purge.all': 'すべて', 'purge.values': '値',
  'purge.valuesHint': '1 行に 1 つ: 絶対 URL (https://www.example.com/a.css)、タグ、またはホスト名。',
  'purge.soft': 'ソフトパージ (削除せず stale にして再検証)', 'purge.submit': 'パージ',
  'purge.empty': '値を 1 つ以上入力してください。', 'purge.id': 'パージ', 'purge.status.pending': '実行中',
  'purge.status.done': '全エッジで完了', 'purge.status.partial': '一部のみ',
  'purge.edges': '{0} 台中 {1} 台のエッジが適用', 'purge.missing': '未応答:', 'purge.took': '{0} ms',
  'purge.recent': '最近のパージ', 'purge.recentNote': 'このページを開いてから実行したパージです (API は過去のパージ一覧を提供しません)。',
  'purge.accepted': '受付日時', 'purge.mode': '方式', 'purge.state': '状態', 'purge.softShort': 'ソフト', 'purge.hardShort': 'ハード',
  'logs.window': '期間', 'logs.site': 'サイト', 'logs.status': 'ステータスコード', 'logs.cache': 'キャッシュ状態',
  'logs.show': '表示', 'logs.download': 'この条件でダウンロード:', 'logs.combined': 'combined 形式',
  'logs.count': '期間内 {0} 行、新しい {1} 行を表示。', 'logs.none': 'この期間のアクセスログはありません。',
  'logs.ts': '日時', 'logs.method': 'メソッド', 'logs.host': 'ホスト', 'logs.path': 'パス', 'logs.bytes': 'バイト',
  'logs.ms': 'ms', 'logs.ua': 'ユーザーエージェント', 'logs.sinks': 'ログ転送先',
  'logs.sinksUnavailable': 'このデプロイではログ転送先はまだ利用できません (API が提供していません)。',
  'admin.users': 'ユーザー', 'admin.keys': 'API キー', 'admin.allowlist': 'IP 許可リスト', 'admin.username': 'ユーザー名',
  'admin.password': 'パスワード', 'admin.passwordHint': '12 文字以上、よく使われるパスワードは不可。',
  'admin.role': 'ロール', 'admin.roleOf': '{0} のロール', 'admin.created': '作成日時', 'admin.addUser': 'ユーザーを追加',
  'admin.delete': '削除', 'admin.deleteUser': 'ユーザー {0} を削除', 'admin.keyName': '名前', 'admin.keyPrefix': '先頭',
  'admin.addKey': 'キーを作成', 'admin.revoke': '失効', 'admin.revokeKey': 'キー {0} を失効',
  'admin.keyOnce': '新しいキーは今だけ表示されます。安全な場所にコピーしてください。再表示はできません。',
  'admin.cidrs': '許可するネットワーク (CIDR)', 'admin.cidrsHint': '1 行に 1 つ。空の場合はすべてのアドレスを許可。',
  'admin.guard': '現在接続しているアドレスを締め出すリストは API が拒否します。',
  'admin.saveAllowlist': '許可リストを保存', 'admin.saved': '保存しました。',
  'audit.verification': '検証', 'audit.records': '記録 (過去 30 日)', 'audit.intact': 'チェーン正常',
  'audit.broken': 'チェーン破損', 'audit.checked': '{0} 件を検証', 'audit.firstBad': '最初の不正な記録',
  'audit.head': '先頭ハッシュ', 'audit.shown': '全 {1} 件中、新しい {0} 件。', 'audit.seq': '#', 'audit.ts': '日時',
  'audit.actor': '実行者', 'audit.action': '操作', 'audit.target': '対象', 'audit.source': '送信元', 'audit.outcome': '結果',
  'notifications.none': 'お知らせはありません。', 'notifications.ts': '日時', 'notifications.kind': '種類', 'notifications.message': '内容',
};

const DICTS = { en: EN, ja: JA };

function fromBrowser() {
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (DICTS[base]) return base;
  }
  return 'en';
}

let current = (() => {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved && DICTS[saved]) return saved;
  } catch (e) { /* storage disabled */ }
  return fromBrowser();
})();

export function lang() {
  return current;
}

export function setLang(l) {
  if (!DICTS[l]) return;
  current = l;
  try { localStorage.setItem(KEY, l); } catch (e) { /* storage disabled */ }
}

/** The text of a key in the current language ({0}, {1} replaced by the arguments). */
export function t(key, ...args) {
  const s = DICTS[current][key] ?? EN[key] ?? key;
  return s.replace(/\{(\d)\}/g, (m, i) => (args[i] == null ? '' : String(args[i])));
}

/** The texts of the static page (index.html). */
export function applyStatic() {
  document.documentElement.lang = current;
  const set = (id, key) => { const el = document.getElementById(id); if (el) el.textContent = t(key); };
  set('skip-link', 'skip');
  set('lang-label', 'language');
  set('logout', 'logout');
  const boot = document.getElementById('boot');
  if (boot) boot.textContent = t('loading');
}
