"""The studio's words in Chinese and English: labels, stage and state names, and a job's status line."""

from __future__ import annotations

TEXT = {
    "title": ("AI 数字人新闻主播 · 制作台", "AI News Anchor · Studio"),
    "switch": ("[English](/en/)", "[中文](/)"),
    "compose": ("合成", "Compose"),
    "avatars": ("主播形象", "Avatars"),
    "batch": ("批量", "Batch"),
    "history": ("历史", "History"),
    "sample": ("示例稿件", "Sample script"),
    "format": ("格式", "Format"),
    "script": ("稿件（第一行为标题）", "Script (first line is the headline)"),
    "voice": ("语音", "Voice"),
    "voice_auto": ("自动（稿件指定的，否则按稿件语言的默认语音）", "automatic (the script's own, else its language's default)"),
    "voice_preview": ("听一听这个声音", "Hear this voice"),
    "avatar": ("主播", "Anchor"),
    "template": ("画面模板", "Template"),
    "aspects": ("画面比例", "Aspect ratios"),
    "preset": ("发布平台", "Platform preset"),
    "none": ("不指定", "none"),
    "template_default": ("不指定（用稿件或本台的模板）", "none (the script's or the station's)"),
    "listen": ("试听", "Listen"),
    "render": ("生成视频", "Render video"),
    "count": ("{n} / {limit} 字", "{n} / {limit} characters"),
    "too_long": ("⚠️ 超出上限 {over} 字，请删减后再生成", "⚠️ {over} over the limit: shorten it before rendering"),
    "error": ("出错：{e}", "error: {e}"),
    "cancel": ("取消", "Cancel"),
    "status": ("状态", "Status"),
    "video": ("成片", "Clip"),
    "downloads": ("下载（MP4、字幕、封面、JSON）", "Downloads (MP4, SRT, cover, JSON)"),
    "speech": ("试听（仅语音）", "Listen (speech only)"),
    "photo": ("照片（JPEG/PNG/WebP）", "Photo (JPEG/PNG/WebP)"),
    "name": ("主播名字", "Presenter's name"),
    "licence": ("照片来源与授权", "Photo source and licence"),
    "check": ("检查照片", "Check the photo"),
    "check_result": ("检查结果", "Check result"),
    "preview": ("预览画面", "Preview frame"),
    "save": ("保存为新主播", "Save as a new anchor"),
    "consent_file": ("本人授权书（PDF、图片或文本；或填下方说明）", "Presenter's signed consent (PDF, image or text; or a note below)"),
    "consent_note": ("或：授权说明（本台自测）", "Or: a consent note (a station's own test)"),
    "consent_hint": ("谁、何时同意，例如：张明本人 2026-12-01 同意用于内部测试",
                     "who agreed and when, e.g. Zhang Ming agreed on 2026-12-01 to an internal test"),
    "consent_needed": ("保存真人主播须有本人的单独同意：请上传本人签字的授权书，或填写授权说明",
                       "a real person's face needs their own consent: upload their signed authorisation, or write a consent note"),
    "files": ("稿件文件或清单（CSV/JSONL/YAML）", "Scripts or a manifest (CSV/JSONL/YAML)"),
    "start_batch": ("开始批量生成", "Start the batch"),
    "jobs": ("任务", "Jobs"),
    "gallery": ("成片封面", "Covers"),
    "zip": ("全部下载（ZIP）", "Download all (ZIP)"),
    "refresh": ("刷新", "Refresh"),
    "pick": ("选择任务", "Pick a job"),
    "again": ("修改后重新生成", "Render again with changes"),
    "queued": ("排队中，第 {n} 位", "waiting, number {n} in the queue"),
    "running": ("{stage} {p:.0%}", "{stage} {p:.0%}"),
    "done": ("完成，用时 {s:.0f} 秒", "done in {s:.0f} s"),
    "failed": ("失败：{e}", "failed: {e}"),
    "cancelled": ("已取消", "cancelled"),
    "face_ok": ("人脸检查通过：脸高 {h:.0f} 像素，偏转 {yaw:.0f}°，倾斜 {roll:.0f}°",
                "face check passed: face {h:.0f} px high, turned {yaw:.0f}°, tilted {roll:.0f}°"),
    # filled in from anchor.avatar (MIN_FACE_HEIGHT, FILL_FACE_HEIGHT, FILL_FRAME, MAX_UPSCALE): never typed in here
    "face_rule": (("照片要求：人脸（额头到下巴）至少 {n} 像素高；{m} 像素可填满 {frame} 画面（照片最多放大 {up:g} 倍，"
                   "人脸更小的照片会缩小显示）"),
                  ("Photo size: the face must be at least {n} px (forehead to chin); {m} px fills a {frame} frame "
                   "(a photo is enlarged at most {up:g}x, so a smaller face is framed smaller)")),
    "saved": ("已保存主播形象“{name}”，可在“合成”中选择", "saved the anchor \"{name}\"; choose it in Compose"),
    "recording": ("或：主播本人的录像，做数字分身（MP4/MOV）", "Or: the presenter's own recording, for a digital twin (MP4/MOV)"),
    "twin_rule": (("数字分身录像要求：主播正对镜头坐着朗读任意文字，至少 {s:.0f} 秒，建议 2–3 分钟，最好含 10–20 秒闭嘴静坐；"
                   "固定机位，画面中只有主播一人，人脸至少 {n} 像素高"),
                  ("Twin recording: the presenter seated, facing the camera, reading any text aloud, {s:.0f} s at least, "
                   "2-3 min recommended, ideally with 10-20 s sitting still with the mouth closed; a fixed camera, nobody "
                   "else in the picture, the face at least {n} px high")),
    "save_twin": ("用录像保存为数字分身", "Save the recording as a digital twin"),
    "twin_saved": ("已保存数字分身“{name}”（录像 {s:.0f} 秒，其中说话 {talk:.0%}），可在“合成”中选择",
                   "saved the digital twin \"{name}\" ({s:.0f} s recording, {talk:.0%} of it speech); choose it in "
                   "Compose"),
    "columns": (["时间", "名称", "状态", "用时（秒）", "说明"], ["time", "name", "state", "seconds", "note"]),
    "batch_columns": (["时间", "名称（标题）", "稿件文件", "状态", "用时（秒）", "说明"],
                      ["time", "name (headline)", "file", "state", "seconds", "note"]),
    "brand": ("台标与品牌", "Station identity"),
    "brand_intro": ("这里改的台名、台标、颜色、字体、AI 标识和片尾署名，会用在之后所有成片上（制作台、批量和接口）；"
                    "保存前会检查，原配置自动备份。",
                    "The name, logo, colours, fonts, AI label and credit set here are used by every later clip (the "
                    "studio, batch and the API); they are checked before saving and the previous version is kept."),
    "brand_name": ("台名（中文）", "Station name (Chinese)"),
    "brand_name_en": ("台名（英文）", "Station name (English)"),
    "brand_code": ("机构代码（写入隐式 AI 标识）", "Producer code (in the implicit AI label)"),
    "brand_code_info": ("写入每条成片元数据 AIGC 的 ContentProducer，只用字母、数字、- _ .",
                        "written as ContentProducer in every clip's AIGC metadata: letters, digits, - _ . only"),
    "brand_primary": ("主色（横幅、姓名条）", "Primary (banners, name bar)"),
    "brand_secondary": ("辅色（标题条、点缀）", "Secondary (title bar, accents)"),
    "brand_backdrop": ("演播室底色", "Studio backdrop"),
    "brand_ai_label": ("AI 标识文字", "AI label wording"),
    "brand_corner": ("AI 标识位置", "AI label corner"),
    "corner_right": ("右上角", "top right"),
    "corner_left": ("左上角", "top left"),
    "brand_credit": ("片尾署名（中文）", "Outro credit (Chinese)"),
    "brand_credit_hint": ("不填则为“台名出品”", "empty: \"<station name>出品\""),
    "brand_credit_en": ("片尾署名（英文）", "Outro credit (English)"),
    "brand_logo": ("台标（带透明背景的 PNG，或 SVG）", "Logo (PNG with transparency, or SVG)"),
    "brand_font_bold": ("标题字体（可选，TTF/OTF）", "Headline font (optional, TTF/OTF)"),
    "brand_font_regular": ("正文字体（可选，TTF/OTF）", "Body font (optional, TTF/OTF)"),
    "brand_save": ("保存台标与品牌", "Save the station identity"),
    "brand_saved": ("已保存“{name}”（机构代码 {code}），之后的成片都会使用；原配置已备份",
                    "saved \"{name}\" (code {code}); every later clip uses it, and the previous version was kept"),
    "brand_current_logo": ("当前台标", "Current logo"),
    "brand_preview": ("新品牌的画面预览", "Preview with this identity"),
    "fix_cues": ("修改字幕后重新生成（语音不重新合成）", "Fix the subtitles and render again (the speech is kept)"),
    "cues_again": ("按修改后的字幕重新生成", "Render again with these subtitles"),
    "cues_hint": ("生成视频后，这里列出每条字幕；改错字后点“按修改后的字幕重新生成”，语音和时间不变，只重画画面",
                  "After a render its subtitles are listed here; fix a typo and render again: the speech and timing "
                  "stay, only the picture is drawn again"),
    "cues_loaded": ("《{title}》的 {n} 条字幕：双击文字修改", "{n} subtitles of \"{title}\": double-click a text to edit it"),
    "speech_reused": ("已按修改后的字幕重新生成：沿用上一版的语音，未重新合成", "rendered again with the fixed subtitles: the "
                      "speech was reused, not synthesised again"),
    "speech_spoken": ("已重新生成（语音重新合成了一遍）", "rendered again (the speech was synthesised again)"),
    "readings": ("读音：教主播读对地名、人名", "Readings: teach the anchor a place or person's name"),
    "readings_hint": ("在稿件中选中一个词，点“取选中的词”，再写读音（带声调拼音，如 zōng yáng 或 zong1 yang2；"
                      "或同音字），先试听，确认后存入本台读音词典（voices/lexicon.yaml），之后的成片都这样读",
                      "Select a word in the script, press \"use the selection\", give its reading (pinyin with tones, "
                      "e.g. zōng yáng or zong1 yang2, or a homophone), hear it, then save it to the station lexicon "
                      "(voices/lexicon.yaml): later clips say it that way"),
    "reading_word": ("词", "Word"),
    "reading_take": ("取选中的词", "Use the selection"),
    "reading_say": ("读音", "Reading"),
    "reading_placeholder": ("zōng yáng / zong1 yang2 / 同音字", "zōng yáng / zong1 yang2 / a homophone"),
    "reading_hear": ("试听读音", "Hear the reading"),
    "reading_save": ("存入读音词典…", "Save to the lexicon…"),
    "reading_confirm": ("确认写入读音词典", "Yes, write it to the lexicon"),
    "reading_heard": ("试听：“{word}”读作 {pinyin}（尚未保存）", "heard: \"{word}\" read as {pinyin} (not saved yet)"),
    "reading_ask": ("将在本台读音词典中把“{word}”记为 {pinyin}，所有之后的成片都会这样读。确认请点“确认写入读音词典”",
                    "\"{word}\" will be recorded as {pinyin} in the station lexicon, and every later clip reads it so. "
                    "Press \"Yes, write it to the lexicon\" to confirm"),
    "reading_saved": ("已存入读音词典：“{word}”读作 {pinyin}（原词典已备份）", "saved to the lexicon: \"{word}\" is read as "
                      "{pinyin} (the previous lexicon was kept)"),
    "voice_unready": ("⚠️ “{voice}”{state}：选它生成时会改用“{instead}”朗读，成片和记录会写明",
                      "⚠️ \"{voice}\" is {state}: a render with it is read by \"{instead}\" instead, and the clip's "
                      "record says so"),
    "left": ("约剩 {s:.0f} 秒", "about {s:.0f} s left"),
    "estimating": ("正在估算剩余时间", "estimating the time left"),
    "callback": ("发布回调地址（可选）", "Publish callback URL (optional)"),
    "callback_hint": ("完成或失败时把结果 JSON 发到这里，例如本台内容管理系统的接口",
                      "the result JSON is POSTed here when the job finishes or fails, e.g. your CMS"),
    "frame_preview": ("画面预览（不合成语音，约 1 秒）", "Frame preview (no speech, about a second)"),
    "preview_placeholder": ("新闻标题\n这里是新闻正文的第一句。", "Headline\nThe first sentence of the story."),
    "still_opening": ("开场画面", "opening frame"),
    "still_lower_third": ("字幕与姓名条", "subtitle and lower third"),
    "preview_took": ("预览用时 {s:.1f} 秒；生成视频时按实际语音计时", "drawn in {s:.1f} s; the render times it to the speech"),
    "live": ("直播", "Live"),
    "live_intro": ("AI 主播直播频道：稿件加入队列后提前生成，按顺序实时播出（HLS，另可推 RTMP）；队列空时主播在演播室待播。",
                   "The AI anchor's live channel: a queued script is made ahead of air and played in order in real "
                   "time (HLS, and RTMP if set); when the queue is empty the anchor waits in the studio."),
    "live_aspect": ("直播画面", "Picture"),
    "live_loop": ("播完循环（回到队尾再播）", "Loop (an aired item goes back to the end of the queue)"),
    "live_start": ("开始直播", "Start the channel"),
    "live_stop": ("停止直播", "Stop the channel"),
    "live_started": ("直播已开始（进程 {pid}），画面稍后出现", "the channel has started (process {pid}); the picture "
                     "follows shortly"),
    "live_running": ("直播进行中（进程 {pid}）", "the channel is running (process {pid})"),
    "live_already": ("直播已在进行（进程 {pid}），一个制作台只开一路直播", "the channel is already running (process {pid}): "
                     "one channel per studio"),
    "live_stopped": ("直播已停止", "the channel has stopped"),
    "live_not_running": ("直播未开始", "the channel is not running"),
    "live_exited": ("直播进程已退出（代码 {rc}），日志最后几行：\n\n{tail}", "the channel exited (code {rc}); the end of "
                    "its log:\n\n{tail}"),
    "live_title": ("标题", "Headline"),
    "live_body": ("正文", "Body"),
    "live_urgent": ("紧急（插到当前条目之后播出）", "Urgent (on air right after the item on air now)"),
    "live_add": ("加入队列", "Add to the queue"),
    "live_added": ("已加入播单：《{title}》（{file}）", "added to the playlist: \"{title}\" ({file})"),
    "live_added_idle": ("已放入播单：《{title}》；开始直播后进入队列", "put in the playlist: \"{title}\"; it joins the "
                        "queue when the channel starts"),
    "live_queue": ("播出队列（点一行选中）", "Running order (click a row to pick it)"),
    "live_columns": (["顺序", "标题", "状态", "紧急"], ["order", "headline", "state", "urgent"]),
    "live_picked": ("已选中：《{title}》", "picked: \"{title}\""),
    "live_pick_first": ("请先在队列中点选一条", "pick an item in the queue first"),
    "live_gone": ("这一条已不在待播队列中", "that item is no longer waiting to go on air"),
    "live_up": ("上移", "Up"),
    "live_down": ("下移", "Down"),
    "live_remove": ("移除", "Remove"),
    "live_mark_urgent": ("设为紧急", "Mark urgent"),
    "live_unmark_urgent": ("取消紧急", "Not urgent"),
    "live_health": ("播出状态", "Channel health"),
    "live_player": ("直播画面（本机 HLS）", "The stream (HLS, served here)"),
    "live_no_player": ("⚠️ 缺少播放器 hls.js（anchor/apps/static/vendor/hls.min.js），请运行 bash setup.sh；"
                       "现用浏览器自带的 HLS 播放（如有）",
                       "⚠️ the hls.js player is missing (anchor/apps/static/vendor/hls.min.js): run bash setup.sh; "
                       "the browser's own HLS playback is used if it has one"),
    "live_h_state": ("状态", "State"),
    "live_h_on_air": ("正在播出", "On air"),
    "live_h_frames": ("帧", "Frames"),
    "live_h_late": ("迟到 / 丢帧", "Late / dropped"),
    "live_h_lag": ("最大延迟", "Max lag"),
    "live_h_cpu": ("CPU（核）", "CPU (cores)"),
    "live_h_cpu_value": ("播出 {playout:.2f} · 生成 {render:.2f} · 余量 {headroom:.2f} / {cores}",
                         "playout {playout:.2f} · render {render:.2f} · headroom {headroom:.2f} of {cores}"),
    "live_h_outputs": ("输出", "Outputs"),
    "live_h_latency": ("入队到播出", "Landed to air"),
    "live_h_updated": ("更新", "Updated"),
    "live_h_stale": ("⚠️ {s:.0f} 秒前", "⚠️ {s:.0f} s ago"),
    "live_h_none": ("（无）", "(none)"),
    "live_h_interval": ("待播画面（下一条生成中）", "the interval (the next item is being made)"),
    "live_h_restarts": ("重启 {n} 次", "{n} restarts"),
    "live_h_ok": ("正常", "ok"),
    "live_h_down": ("中断", "down"),
    "live_no_health": ("直播未开始：开始后这里显示播出状态", "the channel is not running: its health shows here once it starts"),
}
STAGES = {"speech": ("语音合成", "speech"), "avatar": ("主播准备", "anchor"), "render": ("画面渲染", "rendering")}
STATES = {"queued": ("排队", "waiting"), "running": ("生成中", "rendering"), "done": ("完成", "done"),
          "failed": ("失败", "failed"), "cancelled": ("已取消", "cancelled")}
LIVE_STATES = {"starting": ("准备中", "starting"), "on_air": ("播出中", "on air"), "interval": ("待播中", "interval"),
               "stopped": ("已停止", "stopped"), "queued": ("待生成", "queued"), "rendering": ("生成中", "rendering"),
               "ready": ("待播", "ready"), "aired": ("已播", "aired"), "skipped": ("已跳过", "skipped"),
               "removed": ("已移除", "removed")}


def _t(key: str, lang: str, **values):
    text = TEXT[key][0 if lang == "zh" else 1]
    return text.format(**values) if values else text


def job_status(job, position: int | None, lang: str) -> str:
    if job.state == "queued":
        return _t("queued", lang, n=position or 1)
    if job.state == "running":
        stage = STAGES.get(job.stage or "speech", (job.stage, job.stage))[0 if lang == "zh" else 1]
        return _t("running", lang, stage=stage, p=job.progress)
    if job.state == "done":
        return _t("done", lang, s=job.duration or 0)
    if job.state == "failed":
        return _t("failed", lang, e=(job.error_zh if lang == "zh" else job.error_en) or "")
    return _t("cancelled", lang)


def char_count(text: str | None, limit: int, lang: str) -> str:
    """The script box's counter: characters typed against the limit, and by how much it is over."""
    n = len(text or "")
    return _t("count", lang, n=n, limit=limit) + ("  " + _t("too_long", lang, over=n - limit) if n > limit else "")


# The tab title and a browser notification say a clip is done (a producer may be in another tab);
# permission is asked for when they first press render.
ASK_TO_NOTIFY = "() => { if ('Notification' in window && Notification.permission === 'default') " \
                "Notification.requestPermission(); }"
SAY_DONE = """(status) => {
  const title = document.title.replace(/^[✅❌] /, '');
  if (!status) return;
  const done = /^(完成|done)/.test(status), failed = /^(出错|失败|error|failed)/.test(status);
  if (!done && !failed) return;
  document.title = (done ? '✅ ' : '❌ ') + title;
  if ('Notification' in window && Notification.permission === 'granted') new Notification(title, {body: status});
}"""
