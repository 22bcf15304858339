// Package demo seeds the demo site of `kopa serve --demo`: the NGO's five
// discussions, two weekly conversation clubs and three cultural activities in
// the coming weeks, and a demo organiser.
package demo

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/series"
	"kopa/hooks/settings"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// OrganiserEmail is the demo organiser's login.
const OrganiserEmail = "demo.organiser@kopa.example.org"

// ContactEmail is the demo organisation's contact, shown in every page's
// footer and on the privacy page (an organiser sets the real one).
const ContactEmail = "info@kopa.example.org"

// Result says what Seed did.
type Result struct {
	// Seeded is false when the database already had events.
	Seeded bool
	Events int
	// Password is the demo organiser's password, new on every run.
	Password string
}

type text struct{ lv, en, ru string }

type spec struct {
	kind              string
	title, summary    text
	venue             string
	week              int // weeks from the first week
	weekday           time.Weekday
	hour, min, length int // start in Riga time, length in minutes
	capacity          int
	waitlist          bool
	// Families: the largest party one registration may hold (0 is 1),
	// whether children are minded, whether people without an e-mail
	// address may register.
	maxParty                 int
	childcare, emailOptional bool
}

const (
	house  = "Biedrība „Patvērums „Drošā māja””, Rīga"
	museum = "Latvijas Nacionālais mākslas muzejs, Jaņa Rozentāla laukums 1, Rīga"
	hall   = "Rīgas Latviešu biedrības nams, Merķeļa iela 13, Rīga"
	oldTwn = "Vecrīga — tikšanās pie Doma baznīcas ieejas"
)

var discussions = []spec{
	{kind: domain.KindDiscussion, title: text{"Bēgļu nodarbinātība", "Refugee employment", "Трудоустройство беженцев"},
		summary: text{
			"Diskusija par bēgļu nodarbinātību: kā atrast darbu Latvijā, kā tiek atzīta izglītība un pieredze, un ko var darīt darba devēji. Piedalās darba devēji, bēgļi un konsultatīvo ekspertu starpprofesionāļu servisa speciālisti.",
			"A discussion on refugee employment: finding work in Latvia, having one's education and experience recognised, and what employers can do. With employers, refugees and the specialists of the inter-professional expert advisory service.",
			"Дискуссия о трудоустройстве беженцев: как найти работу в Латвии, как признаются образование и опыт и что могут сделать работодатели. Участвуют работодатели, беженцы и специалисты межпрофессиональной консультативной службы экспертов."},
		venue: house, week: 0, weekday: time.Wednesday, hour: 18, length: 120, capacity: 40, waitlist: true, maxParty: 2, childcare: true},
	{kind: domain.KindDiscussion, title: text{"Kultūršoks un kultūru dialogs", "Culture shock and cultural dialogue", "Культурный шок и диалог культур"},
		summary: text{
			"Kā pārdzīvot kultūršoku un veidot kultūru dialogu? Sarunā dalāmies pieredzē par pirmajiem mēnešiem Latvijā, par paradumiem, kas pārsteidz, un par to, kā saprast vienam otru.",
			"How does one live through culture shock and build a dialogue between cultures? We share experiences of the first months in Latvia, of customs that surprise, and of how to understand each other.",
			"Как пережить культурный шок и выстроить диалог культур? Делимся опытом первых месяцев в Латвии, обычаями, которые удивляют, и тем, как понять друг друга."},
		venue: house, week: 1, weekday: time.Wednesday, hour: 18, length: 120, capacity: 40, waitlist: true, maxParty: 2, childcare: true},
	{kind: domain.KindDiscussion, title: text{"Dzīves uzsākšana pēc bēgļa statusa saņemšanas", "Starting life after receiving refugee status", "Начало жизни после получения статуса беженца"},
		summary: text{
			"Ko darīt pēc bēgļa vai alternatīvā statusa saņemšanas: mājoklis, valodas apguve, veselības aprūpe, skola bērniem un sociālā palīdzība. Individuālās integrācijas programmas pieredze.",
			"What comes after refugee or alternative status is granted: housing, learning the language, health care, school for the children and social assistance. Experience from individual integration programmes.",
			"Что делать после получения статуса беженца или альтернативного статуса: жильё, изучение языка, медицинская помощь, школа для детей и социальная помощь. Опыт индивидуальных программ интеграции."},
		venue: house, week: 2, weekday: time.Wednesday, hour: 18, length: 120, capacity: 40, waitlist: true, maxParty: 2, childcare: true},
	{kind: domain.KindDiscussion, title: text{"Vietējo iedzīvotāju bailes no bēgļiem un patvēruma meklētājiem", "Locals' fears of refugees and asylum seekers", "Страхи местных жителей перед беженцами и лицами, ищущими убежища"},
		summary: text{
			"Atklāta saruna par vietējo iedzīvotāju bailēm no bēgļiem un patvēruma meklētājiem: no kurienes tās rodas, kas ir mīts un kas realitāte, un kā satikšanās maina priekšstatus.",
			"An open conversation about locals' fears of refugees and asylum seekers: where they come from, what is myth and what is real, and how meeting each other changes minds.",
			"Открытый разговор о страхах местных жителей перед беженцами и лицами, ищущими убежища: откуда они берутся, что миф, а что реальность, и как встречи меняют представления."},
		venue: house, week: 3, weekday: time.Wednesday, hour: 18, length: 120, capacity: 40, waitlist: true, maxParty: 2, childcare: true},
	{kind: domain.KindDiscussion, title: text{"Eiropas bēgļu un patvēruma politika", "European refugee and asylum policy", "Европейская политика в области беженцев и убежища"},
		summary: text{
			"Eiropas bēgļu un patvēruma politika un tās principi: kā tā ietekmē patvēruma meklētājus Latvijā un kādu atbalsta sistēmu var veidot nevalstiskās organizācijas.",
			"European refugee and asylum policy and its principles: how it affects asylum seekers in Latvia and what support system non-governmental organisations can build.",
			"Европейская политика в области беженцев и убежища и её принципы: как она влияет на лиц, ищущих убежища, в Латвии и какую систему поддержки могут создать общественные организации."},
		venue: house, week: 4, weekday: time.Wednesday, hour: 18, length: 120, capacity: 40, waitlist: true, maxParty: 2, childcare: true},
}

var clubs = []spec{
	{kind: domain.KindClub, title: text{"Sarunu klubs: latviešu valoda iesācējiem", "Conversation club: Latvian for beginners", "Разговорный клуб: латышский для начинающих"},
		summary: text{
			"Iknedēļas sarunu klubs sarunvalodas apguvei: vienkāršas sarunas latviešu valodā kopā ar vietējiem brīvprātīgajiem, tēja un jauni paziņas. Iepriekšējas zināšanas nav vajadzīgas.",
			"A weekly conversation club for learning spoken Latvian: simple conversations in Latvian with local volunteers, tea and new acquaintances. No prior knowledge needed.",
			"Еженедельный разговорный клуб для освоения разговорного латышского: простые беседы на латышском с местными волонтёрами, чай и новые знакомства. Предварительные знания не нужны."},
		venue: house, weekday: time.Tuesday, hour: 18, length: 90, capacity: 15, waitlist: true},
	{kind: domain.KindClub, title: text{"Sarunu klubs: latviešu valoda turpinātājiem", "Conversation club: Latvian, continuing", "Разговорный клуб: латышский для продолжающих"},
		summary: text{
			"Sarunu klubs tiem, kas jau runā latviski: diskusijas par ikdienu, darbu un kultūru, lai nostiprinātu valodu un dibinātu sociālos kontaktus.",
			"A conversation club for those who already speak some Latvian: talking about daily life, work and culture to strengthen the language and make social contacts.",
			"Разговорный клуб для тех, кто уже немного говорит по-латышски: беседы о повседневной жизни, работе и культуре, чтобы укрепить язык и завести социальные контакты."},
		venue: house, weekday: time.Thursday, hour: 17, min: 30, length: 90, capacity: 15, waitlist: true},
}

// clubSessions is how many weekly sessions of each club are seeded.
const clubSessions = 4

var culture = []spec{
	{kind: domain.KindCulture, title: text{"Latvijas Nacionālā mākslas muzeja apmeklējums", "A visit to the Latvian National Museum of Art", "Посещение Латвийского национального художественного музея"},
		summary: text{
			"Kultūras iepazīšana kopā: gida vadīta ekskursija pa Latvijas Nacionālo mākslas muzeju latviešu valodā ar tulkojumu. Ieeja bez maksas.",
			"Getting to know the culture together: a guided tour of the Latvian National Museum of Art in Latvian with interpretation. Free entry.",
			"Знакомство с культурой вместе: экскурсия с гидом по Латвийскому национальному художественному музею на латышском языке с переводом. Вход бесплатный."},
		venue: museum, week: 0, weekday: time.Saturday, hour: 12, length: 120, capacity: 20, maxParty: 6, emailOptional: true},
	{kind: domain.KindCulture, title: text{"Koncerts: latviešu tautasdziesmas", "Concert: Latvian folk songs", "Концерт: латышские народные песни"},
		summary: text{
			"Kora koncerts ar latviešu tautasdziesmām un stāstiem par to nozīmi. Pēc koncerta — tēja un sarunas ar dziedātājiem.",
			"A choir concert of Latvian folk songs with stories of what they mean. Tea and conversation with the singers afterwards.",
			"Хоровой концерт латышских народных песен с рассказами об их значении. После концерта — чай и беседа с певцами."},
		venue: hall, week: 1, weekday: time.Sunday, hour: 16, length: 90, capacity: 0, maxParty: 6, emailOptional: true},
	{kind: domain.KindCulture, title: text{"Ekskursija pa Vecrīgu", "An excursion through Old Riga", "Экскурсия по Старой Риге"},
		summary: text{
			"Pastaiga ar gidu pa Vecrīgu: pilsētas vēsture, leģendas un vietas, ko vērts zināt. Ģērbieties atbilstoši laikapstākļiem.",
			"A guided walk through Old Riga: the city's history, legends and places worth knowing. Please dress for the weather.",
			"Прогулка с гидом по Старой Риге: история города, легенды и места, которые стоит знать. Одевайтесь по погоде."},
		venue: oldTwn, week: 2, weekday: time.Saturday, hour: 11, length: 120, capacity: 25, waitlist: true, maxParty: 6, emailOptional: true},
}

// Seed fills a database that has no events with the demo events, and makes
// sure the demo organiser exists with a fresh password. It is safe to run on
// every start: events are seeded once.
func Seed(app core.App, now time.Time) (Result, error) {
	var res Result
	err := app.RunInTransaction(func(tx core.App) error {
		n, err := tx.CountRecords(domain.Events)
		if err != nil {
			return err
		}
		if n == 0 {
			count, err := seedEvents(tx, now)
			if err != nil {
				return err
			}
			res.Seeded, res.Events = true, count
			if s := settings.Load(tx); s.ContactEmail == "" && s.ContactPhone == "" {
				s.ContactEmail = ContactEmail
				if err := settings.Save(tx, s); err != nil {
					return err
				}
			}
		}
		res.Password, err = ensureOrganiser(tx)
		return err
	})
	return res, err
}

// firstDay is the Monday of the week after now, in Riga time.
func firstDay(now time.Time) time.Time {
	d := now.In(i18n.Riga)
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, i18n.Riga)
	offset := (8 - int(d.Weekday())) % 7
	if offset == 0 {
		offset = 7
	}
	return d.AddDate(0, 0, offset)
}

func seedEvents(tx core.App, now time.Time) (int, error) {
	monday := firstDay(now)
	var all []spec
	all = append(all, discussions...)
	for _, c := range clubs {
		for w := 0; w < clubSessions; w++ {
			s := c
			s.week = w
			all = append(all, s)
		}
	}
	all = append(all, culture...)

	col, err := tx.FindCollectionByNameOrId(domain.Events)
	if err != nil {
		return 0, err
	}
	var firstSessions []*core.Record
	for _, s := range all {
		day := monday.AddDate(0, 0, 7*s.week+(int(s.weekday)+6)%7)
		start := time.Date(day.Year(), day.Month(), day.Day(), s.hour, s.min, 0, 0, i18n.Riga)
		r := core.NewRecord(col)
		r.Load(map[string]any{
			"kind": s.kind, "status": domain.EventPublished,
			"title_lv": s.title.lv, "title_en": s.title.en, "title_ru": s.title.ru,
			"summary_lv": s.summary.lv, "summary_en": s.summary.en, "summary_ru": s.summary.ru,
			"venue": s.venue, "capacity": s.capacity, "waitlist": s.waitlist,
			"max_party": max(1, s.maxParty), "childcare": s.childcare, "email_optional": s.emailOptional,
			"starts_at": domain.DateTime(start), "ends_at": domain.DateTime(start.Add(time.Duration(s.length) * time.Minute)),
		})
		if err := tx.Save(r); err != nil {
			return 0, fmt.Errorf("seed %q: %w", s.title.en, err)
		}
		if s.kind == domain.KindClub && s.week == 0 {
			firstSessions = append(firstSessions, r)
		}
	}
	// Each club is a weekly series of its sessions: people can come every
	// week with one registration.
	for _, r := range firstSessions {
		if _, err := series.Repeat(tx, r, clubSessions-1); err != nil {
			return 0, fmt.Errorf("seed the series of %q: %w", r.GetString("title_en"), err)
		}
	}
	return len(all), nil
}

func ensureOrganiser(tx core.App) (string, error) {
	password, err := randomPassword(16)
	if err != nil {
		return "", err
	}
	rec, err := tx.FindAuthRecordByEmail(domain.Organisers, OrganiserEmail)
	if err != nil {
		col, err := tx.FindCollectionByNameOrId(domain.Organisers)
		if err != nil {
			return "", err
		}
		rec = core.NewRecord(col)
		rec.SetEmail(OrganiserEmail)
		rec.Set("name", "Demo organisers")
		rec.SetVerified(true)
	}
	rec.SetPassword(password)
	if err := tx.Save(rec); err != nil {
		return "", fmt.Errorf("demo organiser: %w", err)
	}
	return password, nil
}

func randomPassword(n int) (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b), nil
}
