import json
from zoneinfo import available_timezones

import streamlit as st

from course import accounts, formatting, mail, privacy, reminders
from course.accounts import MAX_EMAIL_LENGTH
from course.clock import utcnow
from course.permissions import Action, can
from course.ui import cohorts_view, resources
from course.ui.forms import plain, sign_out
from course.ui.session import browser_zone, forget_user, guard

user = guard(Action.VIEW_COURSE)
store = resources.store()
st.title("Your account")
st.markdown(f"**Name:** {plain(user.display_name)}  \n**Email:** {plain(user.email)}  \n**Role:** {user.role.value}")
if st.button("Sign out", icon=":material/logout:"):
    sign_out()

st.subheader("Time zone")
current_zone = user.time_zone or formatting.DEFAULT_ZONE
st.caption(
    "Every date and time you see here, and what counts as “today” and “overdue”, follows this zone. "
    f"It is now {formatting.format_datetime(utcnow(), formatting.zone_or_utc(current_zone))}."
)
zones = sorted(available_timezones() | {current_zone})
with st.form("time-zone-form"):
    picked_zone = st.selectbox("Your time zone", zones, index=zones.index(current_zone), key="time-zone")
    typed_zone = st.text_input(
        "…or type its name", key="time-zone-typed", placeholder="e.g. America/New_York", max_chars=64
    )
    save_zone = st.form_submit_button("Save time zone")
detected_zone = browser_zone()
if detected_zone and detected_zone != current_zone:
    st.caption(f"Your browser says your zone is {detected_zone}.")
if save_zone:
    try:
        accounts.set_time_zone(store, user.id, typed_zone.strip() or picked_zone)
    except accounts.AccountError as exc:
        st.error(exc.message)
    else:
        st.session_state.pop("_who", None)  # re-read the account with its new zone
        st.session_state.pop("time-zone-typed", None)
        st.toast("Time zone saved.")
        st.rerun()
cohorts_view.your_cohorts(store, user)

st.subheader("Email")
try:
    email_on = mail.load_smtp().enabled
except mail.EmailNotConfigured:
    email_on = False
if not email_on:
    st.caption("This site does not send email at the moment; your choices below are kept for when it does.")
chosen = reminders.preferences(store, user)
offered = [reminders.LEARNER_DUE] + ([reminders.EDUCATOR_OVERDUE] if can(user, Action.VIEW_COHORTS) else [])
for kind in offered:
    wanted = st.toggle(reminders.KIND_LABELS[kind], value=chosen[kind], key=f"email-{kind}")
    if wanted != chosen[kind]:
        reminders.set_preference(store, user, kind, wanted, now=utcnow())
        st.toast("Email settings saved.")

st.subheader("Download my data")
st.markdown(
    "One JSON file with everything this course holds about you: your account, every recorded action, "
    "your reflections with their history and sharing, assessment attempts, certificates, cohorts, "
    "sign-in records and queued learning-record statements. Password and sign-in token hashes are left out."
)
if st.button("Prepare my data", icon=":material/database:"):
    exported = privacy.export_personal_data(store, user, user.id, now=utcnow())
    st.session_state["my_data"] = json.dumps(exported, indent=2, ensure_ascii=False).encode("utf-8")
if isinstance(st.session_state.get("my_data"), bytes):
    st.download_button(
        "Download my data (JSON)",
        data=st.session_state["my_data"],
        file_name="my-relational-prescribing-data.json",
        mime="application/json",
        icon=":material/download:",
    )

st.subheader("Delete my account")
st.markdown(
    "This closes your account for good and erases your personal data: your reflections and their history, "
    "your name and email, your sign-ins, and the words you typed in cases. Your certificate stops verifying. "
    "What you did in the course stays only as anonymous numbers in cohort and question statistics. "
    "Download your data first if you want to keep it. **This cannot be undone.**"
)
with st.form("delete-account"):
    typed = st.text_input(
        f"To confirm, type your email address ({plain(user.email)})", autocomplete="off", max_chars=MAX_EMAIL_LENGTH
    )
    confirmed = st.form_submit_button("Delete my account permanently", type="primary", icon=":material/delete_forever:")
if confirmed:
    try:
        privacy.delete_account(store, user, user.id, confirm_email=typed, now=utcnow())
    except privacy.PrivacyError as exc:
        st.error(exc.message)
    else:
        forget_user()
        st.success("Your account has been deleted and your personal data erased.")
        sign_out()
